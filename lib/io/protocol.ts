import { InputError } from '../engine/commands';
import { engineOptions } from '../engine/options';
import { CommandName, EngineOptions, QuantizeMode, TrackState } from '../engine/types';

// The IPC protocol between Node-RED (or the terminal) and the engine host, a forked child process that
// owns the audio device and the engine. Messages are plain JSON objects over the fork IPC channel.
// Commands flow in; events flow out, stamped with the engine frame they happened at.

export type BackendName = 'portaudio' | 'null';
/** Where the tempo and the bar lines come from: the engine itself, an external MIDI clock, or a Link session. */
export type SyncSource = 'internal' | 'midi' | 'link';
export const SYNC_SOURCES: readonly SyncSource[] = ['internal', 'midi', 'link'];
export type XrunSource = 'device' | 'host';

/**
 * Periods of output the callback bridge queues ahead of the device (HostConfig.slackPeriods). One is the
 * engine's render deadline itself; the second absorbs the wake-up jitter of its thread when it is not
 * realtime (measured here: late wakes of 2-5 ms under load at 256 frames, a period is 5.3 ms).
 */
export const SLACK_PERIODS = { default: 2, min: 1, max: 16 } as const;

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
  /** live loops at the start, tracks 1..loops (default: every track); addLoop and deleteLoop change the set */
  loops?: number;
  /**
   * portaudio: measure the round trip with a loopback click (output -> input) once the streams run,
   * and use it as inputLatencyFrames; a failed measurement keeps inputLatencyFrames and says so in the
   * ready event's notice. Needs the output to reach the input (a cable, or a mic that hears the speaker).
   */
  calibrateOnStart?: boolean;
  /** portaudio, naudiodon's stream path: blocks of silence queued before the output starts (default 4): headroom against a late host */
  prefillBuffers?: number;
  /**
   * portaudio, the callback bridge: periods of output queued ahead of the device (SLACK_PERIODS):
   * how late the engine may be before a dropout, and latency added to the device's own
   */
  slackPeriods?: number;
  /**
   * channels opened on the input device (the engine's input, docs/routing.md) and on the output device
   * (an even count: stereo buses, bus 1 on channels 1-2); default 2 and 2
   */
  inputChannels?: number;
  outputChannels?: number;
  /** control side only (the host ignores them): the sync source, and Link's start/stop sync */
  sync?: SyncSource;
  linkStartStop?: boolean;
}

/** The engine options a host config asks for, checked like every setting (an InputError names the field). */
export function engineOptionsOf(config: HostConfig): EngineOptions {
  return engineOptions({
    sampleRate: config.sampleRate,
    blockSize: config.blockFrames,
    tracks: config.tracks,
    bpm: config.bpm,
    beatsPerBar: config.beatsPerBar,
    quantize: config.quantize,
    crossfadeFrames: config.crossfadeFrames,
    inputLatencyFrames: config.inputLatencyFrames,
    memoryMiB: config.memoryMiB,
    loops: config.loops,
    metronome: { enabled: config.metronome.enabled, volume: config.metronome.volume, countInBars: config.metronome.countInBars },
    inputChannels: config.inputChannels ?? 2,
    outputBuses: outputBusesOf(config.outputChannels ?? 2),
  });
}

/** Output channels as stereo buses: an even count, each pair a bus. */
export function outputBusesOf(outputChannels: number): number {
  if (!(Number.isInteger(outputChannels) && outputChannels >= 2 && outputChannels <= 32 && outputChannels % 2 === 0)) {
    throw new InputError('outputChannels', `${outputChannels} is not accepted; accepted: an even count (stereo pairs) from 2 to 32`);
  }
  return outputChannels / 2;
}

export type HostRequest =
  /** frame: the engine frame to act at; omitted = the frame at which the host receives it */
  | { type: 'command'; id?: number; command: CommandName; track: number; value?: unknown; frame?: number }
  | { type: 'devices'; id: number }
  | { type: 'calibrate'; id: number }
  | { type: 'status'; id: number }
  /** a session command (lib/session): answered with a 'reply'; needs HostConfig.sessionDir except import */
  | ({ type: 'session'; id: number } & SessionRequest)
  | { type: 'quit' };

export type SessionCommandName = 'save' | 'load' | 'list' | 'delete' | 'import' | 'export';
export const SESSION_COMMANDS: readonly SessionCommandName[] = ['save', 'load', 'list', 'delete', 'import', 'export'];

/**
 * save/load/delete: a session name (checked by the host: no paths); export: the name of the folder
 * <sessionDir>/exports/<name> (mix.wav, mix-busN.wav per cue bus in use, stems/), loops: how many times the longest loop plays (1);
 * import: a WAV file (absolute, or relative to the session folder) loaded as a new layer of `track`.
 * Import takes a file path: only trusted senders (a flow's msgs) may send it, never a remote controller.
 */
export interface SessionRequest {
  command: SessionCommandName;
  name?: string;
  track?: number;
  file?: string;
  loops?: number;
}

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
  /** the loop's position (frames) at the status's `frame`, 0 when empty: where remote controllers draw it */
  position?: number;
  /** paused: the loop stands still at `position` (a stopped loop that is not paused runs on silently) */
  paused?: boolean;
  /** a live loop; a deleted track is free (every client shows the live loops only) */
  live?: boolean;
  /** the loop's own quantize, feedback and input gain */
  quantize?: QuantizeMode;
  feedback?: number;
  inputGain?: number;
  /** routing (docs/routing.md): the input source's code, the cue send's bus (0 = none) and gain */
  source?: number;
  cueBus?: number;
  cueSend?: number;
}

export type HostEvent =
  | {
      type: 'ready';
      backend: BackendName;
      sampleRate: number;
      blockFrames: number;
      inputDevice: string;
      outputDevice: string;
      notice?: string;
      /** a session folder is set but nothing is autosaved: why (also in `notice`) */
      autosaveOff?: string;
      /** the latency the engine compensates: the config's, or the one calibrateOnStart measured */
      inputLatencyFrames?: number;
      /** how long after rendering an event's frame it is heard: the delay before 'state'/'beat' events are sent */
      soundDelayFrames?: number;
      /** the PortAudio binding: 'bridge' (callback, float32), else naudiodon's stream path */
      binding?: string;
      /** the bridge's stream latency: PortAudio's input and output latencies plus the bridge's slack */
      latency?: { inputSeconds: number; outputSeconds: number; slackFrames: number; totalFrames: number };
    }
  | { type: 'state'; track: number; state: TrackState; frame: number; frames: number; seconds: number; bars: number }
  | { type: 'pending'; track: number; state: TrackState; frame: number }
  | { type: 'beat'; frame: number; beat: number; beatInBar: number; bar: number; downbeat: boolean }
  | { type: 'tempo'; frame: number; bpm: number; beatsPerBar: number }
  | { type: 'layers'; track: number; frame: number; undo: number; redo: number }
  /** the track became a live loop (live: true: addLoop, or a loop loaded into it) or was deleted (deleteLoop) */
  | { type: 'loop'; track: number; frame: number; live: boolean }
  /** peaks since the last levels event; frame: the engine frame when they were taken */
  | {
    type: 'levels'; input: [number, number]; output: [number, number]; frame?: number;
    /** the peak of each input channel (docs/routing.md) */
    channels?: number[];
    /** each track's output: peak and RMS per side since the last levels event */
    tracks?: { peak: [number, number]; rms: [number, number] }[];
  }
  /**
   * count: every xrun since start, from all sources. source 'device': PortAudio reported an under/overflow
   * (the bridge's callback flags, or naudiodon's stdout line); 'host': the host lost audio itself (the
   * engine was late for the bridge's callback, the null backend's block came late, or output blocks were
   * dropped because the device fell behind). side: which direction lost audio; what: in words.
   */
  | { type: 'xrun'; count: number; frame: number; source?: XrunSource; side?: 'input' | 'output'; what?: string }
  | { type: 'error'; track: number; message: string; id?: number }
  /**
   * The session folder was restored into the engine: at start (the autosave, after a crash or a quit)
   * or by a 'load'. tracks: what came back; recovered: interrupted takes written as WAVs (an overdub's
   * also as the track's redo step); problems: one line per thing that could not be restored.
   */
  | {
      type: 'session';
      reason: 'start' | 'load';
      name: string;
      restored: boolean;
      tracks: { track: number; layers: number; current: number; state: string }[];
      recovered: { track: number; kind: string; file: string; frames: number; seconds: number; loopFrames: number; redo: boolean }[];
      problems: string[];
    }
  | { type: 'reply'; id: number; ok: boolean; result?: unknown; error?: string };

/**
 * Requests only the forked host answers, besides HostRequest: diagnostics for tests and the terminal.
 * 'loop' replies with LoopData.
 */
export type HostDiagnosticRequest = { type: 'loop'; id: number; track: number };

/** A track's current loop: interleaved stereo int16 (x * 32768, rounded and clamped: a recording's captured samples exactly), base64 over JSON IPC. */
export interface LoopData {
  track: number;
  frames: number;
  int16Base64: string;
}

/** What a 'calibrate' request resolves with (Calibration in client.ts, plus how it was found). */
export interface CalibrationResult {
  inputLatencyFrames: number;
  /** clicks of this run's own pattern found at that round trip, of `clicks` played */
  matched: number;
  clicks: number;
  /** whether the engine now uses it (false while a track records: the reply says why) */
  applied: boolean;
}

/** The host's exit codes, so the client can tell a refused start from a crash. */
export const HOST_EXIT = {
  /** quit as asked, or the parent went away */
  ok: 0,
  /** an uncaught exception or a broken engine */
  crashed: 1,
  /** the config or the devices were refused before 'ready' (an 'error' event said why) */
  startFailed: 2,
  /** a stream would not close (naudiodon's quit hung): its thread may be stuck, so the host exits */
  streamStuck: 3,
} as const;
