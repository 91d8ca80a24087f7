// The engine's vocabulary: one table of names and codes. Codes are append-only, because sessions,
// the IPC protocol and the event ring store them as numbers.

export const TRACK_STATES = ['empty', 'recording', 'playing', 'overdubbing', 'stopped', 'multiplying', 'replacing', 'oneshot', 'substituting', 'inserting'] as const;
export type TrackState = (typeof TRACK_STATES)[number];
export const enum State {
  Empty = 0,
  Recording = 1,
  Playing = 2,
  Overdubbing = 3,
  Stopped = 4,
  /** overdubbing while the loop grows by whole units (see Transitions: startMultiply) */
  Multiplying = 5,
  /** the input replaces the loop where it plays; the loop itself is silent meanwhile */
  Replacing = 6,
  /** playing once from the start, then muted (it plays on silently, as SooperLooper's one-shot does) */
  OneShot = 7,
  /** like Replacing, but the loop is heard while the input replaces it */
  Substituting = 8,
  /** the loop stands still while whole cycles of input are inserted at its position */
  Inserting = 9,
}

// Track commands, then global ones. The string is what msgs, scripts and the CLI say.
export const COMMANDS = [
  'record', 'overdub', 'play', 'stop', 'toggle', 'clear', 'undo', 'redo', 'mute', 'unmute',
  'volume', 'pan', 'solo', 'unsolo',
  'bpm', 'beatsPerBar', 'quantize', 'metronome', 'metronomeVolume', 'monitor', 'monitorVolume',
  'masterVolume', 'feedback',
  'reverse', 'half', 'double', 'multiply', 'replace', 'oneshot', 'retrigger',
  'inputGain', 'downbeat',
  'pause', 'substitute', 'insert',
  'addLoop', 'deleteLoop',
  'input', 'cueBus', 'cueSend', 'metronomeBus', 'monitorBus', 'monitorInput',
] as const;
export type CommandName = (typeof COMMANDS)[number];
export const enum Cmd {
  Record = 0, Overdub, Play, Stop, Toggle, Clear, Undo, Redo, Mute, Unmute,
  Volume, Pan, Solo, Unsolo,
  Bpm, BeatsPerBar, Quantize, Metronome, MetronomeVolume, Monitor, MonitorVolume,
  MasterVolume, Feedback,
  Reverse, Half, Double, Multiply, Replace, OneShot, Retrigger,
  InputGain, Downbeat,
  Pause, Substitute, Insert,
  /** makes a track a live loop: the given one, or (track 0) the first free one */
  AddLoop,
  /** clears a live loop (with its usual fade) and frees its track */
  DeleteLoop,
  Input, CueBus, CueSend, MetronomeBus, MonitorBus, MonitorInput,
}
/** Commands that act on one track: the first block, and the loop commands appended after the globals. */
export function isTrackCommand(cmd: Cmd): boolean {
  return cmd <= Cmd.Unsolo || (cmd >= Cmd.Reverse && cmd <= Cmd.Retrigger) || (cmd >= Cmd.Pause && cmd <= Cmd.DeleteLoop) ||
    (cmd >= Cmd.Input && cmd <= Cmd.CueSend);
}
/**
 * Settings kept per loop: with a track (1-based) they set that loop's; with none (track 0) every
 * loop's, and the value a loop takes when it is added.
 */
export function isPerLoopSetting(cmd: Cmd): boolean {
  return cmd === Cmd.Quantize || cmd === Cmd.Feedback || cmd === Cmd.InputGain;
}

export const QUANTIZE_MODES = ['off', 'beat', 'bar', 'loop'] as const;
export type QuantizeMode = (typeof QUANTIZE_MODES)[number];
export const enum Quantize { Off = 0, Beat = 1, Bar = 2, Loop = 3 }

/** Events leave the engine through a ring of fixed-size records (see EventRing). */
export const enum EventType {
  /** track, a = new State, b = loop length in frames */
  State = 0,
  /** track, a = the pending action (Cmd), frame = when it will take effect */
  Pending = 1,
  /** a = absolute beat index, b = beat in bar (0-based); frame = the frame it sounds at */
  Beat = 2,
  /** track, a = ErrorCode, b = the Cmd that was refused */
  Error = 3,
  /** a = new bpm * 1000 (rounded), b = beats per bar; frame = where the new tempo starts */
  Tempo = 4,
  /** a = passes undo can step back through (current layer index + 1), b = passes redo can bring back */
  Layers = 5,
  /** track, a = 1 when it became a live loop (addLoop, a loaded loop), 0 when it was deleted */
  Loop = 6,
}

export const enum ErrorCode {
  /** play/overdub/undo... on a track with nothing to act on */
  Empty = 0,
  /** the memory budget is used up: the recording ended early / the pass was refused */
  MemoryFull = 1,
  /** the command queue was full: the command was dropped */
  QueueFull = 2,
  NothingToUndo = 3,
  NothingToRedo = 4,
  /** a transform asked of a track that is recording or overdubbing (finish the pass first) */
  Busy = 5,
  /** double speed of a loop of one frame */
  TooShort = 6,
  /** addLoop with every track a live loop already */
  NoFreeTrack = 7,
  /** a command to a track that is no live loop (deleted, or never added) */
  NotALoop = 8,
  /** an input source or output bus the engine was not built with (b = the Cmd) */
  NoSuchChannel = 9,
}
export const ERROR_TEXT: Record<number, string> = {
  [ErrorCode.Empty]: 'the track is empty',
  [ErrorCode.MemoryFull]: 'the memory budget is used up',
  [ErrorCode.QueueFull]: 'too many commands at once: the command was dropped',
  [ErrorCode.NothingToUndo]: 'nothing to undo',
  [ErrorCode.NothingToRedo]: 'nothing to redo',
  [ErrorCode.Busy]: 'the track is recording or overdubbing: finish the pass first',
  [ErrorCode.TooShort]: 'the loop is too short',
  [ErrorCode.NoFreeTrack]: 'no free track: every track is a loop already (the engine\'s track count is the most loops there can be)',
  [ErrorCode.NotALoop]: 'the track is no loop (deleted): add it again first (addLoop)',
  [ErrorCode.NoSuchChannel]: 'no such input channel or output bus in the engine\'s channel counts',
};

export interface MetronomeOptions {
  enabled: boolean;
  /** linear gain, 0..2 */
  volume: number;
  /** bars of click before the first recording starts (0 = none) */
  countInBars: number;
  /** a sample already at the engine rate, interleaved stereo; null = the built-in click */
  sample: Float32Array | null;
  /** a second sample for the downbeat; null = the accent is derived from `sample` (louder) */
  accentSample: Float32Array | null;
}

export interface EngineOptions {
  sampleRate: number;
  /** the largest block process() will be asked for */
  maxBlockFrames: number;
  tracks: number;
  bpm: number;
  beatsPerBar: number;
  quantize: QuantizeMode;
  /** crossfade at record and overdub edges, and the length of every gain fade; 0 = none (sample-exact) */
  crossfadeFrames: number;
  /** measured round trip: loop position p holds input frame (recordStart + p + inputLatencyFrames) */
  inputLatencyFrames: number;
  /** old loop content is multiplied by this on each overdub pass */
  feedback: number;
  monitor: boolean;
  monitorVolume: number;
  masterVolume: number;
  /** linear gain on the input before it is monitored or recorded, 0..2 */
  inputGain: number;
  /** clamp: hard clip at +-1; soft: tanh-like limiter above 0.8 (never exceeds 1) */
  limiter: 'clamp' | 'soft';
  metronome: MetronomeOptions;
  /** whether the click is added to `output` (live: yes so the player hears it; render: metronomeInMix) */
  metronomeInOutput: boolean;
  /** per-track stem buses (render --stems, mixdown export) */
  stems: boolean;
  /** loop memory in MiB: every loop and undo layer lives in one arena of this size */
  memoryMiB: number;
  /** live loops at the start, tracks 1..loops (default: every track); addLoop/deleteLoop change the set */
  loops?: number;
  /** channels of the input, interleaved (docs/routing.md); 2 = today's stereo */
  inputChannels: number;
  /** stereo output buses, interleaved pairs: bus 1 is the main mix, the others cue mixes */
  outputBuses: number;
  /** the bus (1-based) the click is mixed into */
  metronomeBus: number;
  /** the bus (1-based) the input monitor is mixed into */
  monitorBus: number;
  /** the input source the monitor hears (a source code, lib/engine/routing.ts) */
  monitorInput: number;
  /** a peak/RMS meter per track, each block (Engine.trackLevels) */
  trackMeters: boolean;
}

export const DEFAULT_OPTIONS: EngineOptions = {
  sampleRate: 48000,
  maxBlockFrames: 1024,
  tracks: 8,
  bpm: 120,
  beatsPerBar: 4,
  quantize: 'bar',
  crossfadeFrames: 128,
  inputLatencyFrames: 0,
  feedback: 1,
  monitor: true,
  monitorVolume: 1,
  masterVolume: 1,
  inputGain: 1,
  limiter: 'clamp',
  metronome: { enabled: true, volume: 0.5, countInBars: 0, sample: null, accentSample: null },
  metronomeInOutput: true,
  stems: false,
  memoryMiB: 256,
  inputChannels: 2,
  outputBuses: 1,
  metronomeBus: 1,
  monitorBus: 1,
  monitorInput: 0,
  trackMeters: false,
};

export const LIMITS = {
  sampleRate: [8000, 192000],
  maxBlockFrames: [16, 8192],
  tracks: [1, 64],
  bpm: [20, 400],
  beatsPerBar: [1, 32],
  crossfadeFrames: [0, 4096],
  inputLatencyFrames: [0, 96000],
  volume: [0, 2],
  pan: [-1, 1],
  feedback: [0, 1],
  countInBars: [0, 8],
  memoryMiB: [1, 3072],
  inputChannels: [1, 32],
  outputBuses: [1, 16],
} as const;
