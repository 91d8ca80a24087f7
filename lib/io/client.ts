import type { EventEmitter } from 'events';
import type { AudioDevice } from './portaudio';
import type { HostConfig, HostEvent, HostRequest, SessionRequest, TrackStatus } from './protocol';

// How Node-RED talks to one engine host, whatever runs it: the forked child process (the live host)
// or the in-process engine with no device (lib/io/in-process-client.ts). The config node owns one
// client at a time and makes a new one to restart after an 'exit'.

export type ReadyEvent = Extract<HostEvent, { type: 'ready' }>;

/** The requests that get a 'reply'. The client stamps its own id on each, so callers never collide. */
export type HostQuery = { type: 'devices' } | { type: 'status' } | { type: 'calibrate' } | ({ type: 'session' } & SessionRequest);

/**
 * One engine host. Events:
 * - 'event' (HostEvent): everything the host reports, except the 'ready' that start() resolves with.
 *   Beats and states are emitted when they sound, not when the engine computed them.
 * - 'exit' (code: number): the host ended, by stop() (code 0) or by a crash; emitted once, and nothing
 *   follows it. A crashed client is not restarted: its owner makes a new one.
 * - 'error' (Error): a problem that did not end the host (a broken IPC message, a log-worthy failure).
 */
export interface EngineClient extends EventEmitter {
  /** Starts the host; resolves when it runs. When it cannot start, rejects with the reason (and emits 'exit'). */
  start(): Promise<ReadyEvent>;
  /** Fire-and-forget. Allowed before start() resolves: the client delivers it once the host runs. */
  send(req: HostRequest): void;
  /** Resolves with the reply's result, rejects with Error(reply.error). */
  request(req: HostQuery): Promise<unknown>;
  /** Stops the host. Never hangs: asks it to quit, kills it after a timeout. Idempotent. */
  stop(): Promise<void>;
}

export type EngineClientFactory = (config: HostConfig) => EngineClient;

/** What a 'status' request resolves with. */
export interface HostStatus {
  frame: number;
  bpm: number;
  beatsPerBar: number;
  metronome: boolean;
  xruns: number;
  tracks: TrackStatus[];
}

/** What a 'devices' request resolves with. */
export interface DeviceList {
  devices: AudioDevice[];
}

/** What a 'calibrate' request resolves with. */
export interface Calibration {
  inputLatencyFrames: number;
}
