import { CommandName, QuantizeMode, TrackState } from '../engine/types';

// The IPC protocol between Node-RED (or the terminal) and the engine host, a forked child process that
// owns the audio device and the engine. Messages are plain JSON objects over the fork IPC channel.
// Commands flow in; events flow out, stamped with the engine frame they happened at.

export type BackendName = 'portaudio' | 'null';

/** Settings of one engine host (the config node's fields). */
export interface HostConfig {
  sampleRate: number;
  blockFrames: number;
  tracks: number;
  bpm: number;
  beatsPerBar: number;
  quantize: QuantizeMode;
  crossfadeFrames: number;
  inputLatencyFrames: number;
  /** 'portaudio' needs naudiodon; 'null' runs paced in real time with no device; 'auto' tries portaudio, then null */
  backend: BackendName | 'auto';
  /** device name (stable across reboots) or numeric id; '' = the default device */
  inputDevice: string;
  outputDevice: string;
  /** folder for autosave and named sessions ('' = none) */
  sessionDir: string;
  metronome: { enabled: boolean; volume: number; countInBars: number; sound: string };
  memoryMiB: number;
}

export type HostRequest =
  /** frame: the engine frame to act at; omitted = the frame at which the host receives it */
  | { type: 'command'; id?: number; command: CommandName; track: number; value?: unknown; frame?: number }
  | { type: 'devices'; id: number }
  | { type: 'calibrate'; id: number }
  | { type: 'status'; id: number }
  | { type: 'quit' };

export interface TrackStatus {
  track: number;
  state: TrackState;
  frames: number;
  seconds: number;
  bars: number;
  layers: number;
  volume: number;
  pan: number;
  muted: boolean;
  soloed: boolean;
}

export type HostEvent =
  | { type: 'ready'; backend: BackendName; sampleRate: number; blockFrames: number; inputDevice: string; outputDevice: string; notice?: string }
  | { type: 'state'; track: number; state: TrackState; frame: number; frames: number; seconds: number; bars: number }
  | { type: 'pending'; track: number; state: TrackState; frame: number }
  | { type: 'beat'; frame: number; beat: number; beatInBar: number; bar: number; downbeat: boolean }
  | { type: 'tempo'; frame: number; bpm: number; beatsPerBar: number }
  | { type: 'layers'; track: number; frame: number; undo: number; redo: number }
  | { type: 'levels'; input: [number, number]; output: [number, number] }
  | { type: 'xrun'; count: number; frame: number }
  | { type: 'error'; track: number; message: string; id?: number }
  | { type: 'reply'; id: number; ok: boolean; result?: unknown; error?: string };
