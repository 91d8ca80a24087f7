import { InputError, booleanOf, numberIn, sourceOf } from '../engine/commands';
import { isObject } from '../engine/options';
import { SOURCE_ALL, sourceName } from '../engine/routing';
import { MAX_LAYERS } from '../engine/track';
import { DEFAULT_OPTIONS, LIMITS, QUANTIZE_MODES, QuantizeMode } from '../engine/types';

// The session manifest (session.json): tempo, bars, quantize, mixer, routing and, per track, whether it
// is a loop, its own quantize, feedback, input gain, input source and cue send, and its undo layers as
// WAV files in playing order with the frame each is anchored at. Every manifest carries `version`; an
// older one is brought up to date by MIGRATIONS, in order, before it is checked. A manifest is untrusted
// input (a copied folder, a hand edit, a half-written disk): every field is checked, and layer files
// must be plain names inside the session's layers/ folder.

export const SESSION_FORMAT = 'loopstation-session';
export const MANIFEST_VERSION = 2;
/** A manifest larger than this is refused before parsing (64 tracks x 1024 layers fit with room to spare). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** 2^28 frames: the longest WAV readWav accepts, 93 minutes at 48 kHz. */
export const MAX_LAYER_FRAMES = 2 ** 28;

/** Track states a session keeps; a track caught recording or overdubbing is saved as playing. */
export const SAVED_STATES = ['empty', 'playing', 'stopped'] as const;
export type SavedState = (typeof SAVED_STATES)[number];

export interface LayerEntry {
  /** file name in the session's layers/ folder */
  file: string;
  frames: number;
  /** the loop's position at engine frame t is (t - anchor) mod frames */
  anchor: number;
  /** the capture file this pass was streamed to while it was recorded (so recovery does not offer it twice) */
  from?: string;
}

export interface TrackEntry {
  track: number;
  state: SavedState;
  volume: number;
  pan: number;
  muted: boolean;
  soloed: boolean;
  /** a loop; false: deleted (a free track, empty) */
  live: boolean;
  /** the loop's own quantize, feedback and input gain */
  quantize: QuantizeMode;
  feedback: number;
  inputGain: number;
  /** the input source it records, as msgs say it: "all", "3", "3-4" (lib/engine/routing.ts) */
  source: string;
  /** the cue send: its output bus (0 = none) and gain */
  cueBus: number;
  cueSend: number;
  /** the undo position: index of the playing layer; -1 = everything undone (the layers are redo steps) */
  current: number;
  layers: LayerEntry[];
}

export interface Manifest {
  format: typeof SESSION_FORMAT;
  version: number;
  savedAt: string;
  sampleRate: number;
  bpm: number;
  beatsPerBar: number;
  quantize: QuantizeMode;
  masterVolume: number;
  /** 1-based track of the master loop, 0 = none */
  masterTrack: number;
  /** the output buses (1-based) of the click and the input monitor, and the monitor's source (as a track's) */
  metronomeBus: number;
  monitorBus: number;
  monitorInput: string;
  tracks: TrackEntry[];
}

/**
 * A track's settings as a fresh engine gives them: a loop with the session's quantize, the default
 * feedback and input gain, recording "all", no cue send.
 */
export function trackDefaults(quantize: QuantizeMode): Pick<TrackEntry, 'live' | 'quantize' | 'feedback' | 'inputGain' | 'source' | 'cueBus' | 'cueSend'> {
  return {
    live: true, quantize, feedback: DEFAULT_OPTIONS.feedback, inputGain: DEFAULT_OPTIONS.inputGain, source: sourceName(SOURCE_ALL), cueBus: 0, cueSend: 1,
  };
}

/** An empty track with a fresh mixer and trackDefaults(). */
export function emptyTrack(track: number, quantize: QuantizeMode): TrackEntry {
  return { track, state: 'empty', volume: 1, pan: 0, muted: false, soloed: false, ...trackDefaults(quantize), current: -1, layers: [] };
}

/** The engine-wide routing as a fresh engine has it: click and monitor on bus 1, the monitor hearing "all". */
export const ROUTING_DEFAULTS = { metronomeBus: 1, monitorBus: 1, monitorInput: sourceName(SOURCE_ALL) } as const;

type Raw = Record<string, unknown>;
type Migration = (m: Raw) => Raw;

/** MIGRATIONS[v - 1] turns a version v manifest into version v + 1. Append only: saved sessions depend on each step. */
export const MIGRATIONS: readonly Migration[] = [
  // 1 -> 2: loops, per-loop settings and routing are kept. Version 1 was written before a loop could be
  // deleted or have its own settings or routing: every track was a loop with the session's quantize,
  // and the routing was stereo's.
  (m) => ({
    ...ROUTING_DEFAULTS,
    ...m,
    tracks: Array.isArray(m.tracks) ? m.tracks.map((t: unknown) => (isObject(t) ? { ...trackDefaults(m.quantize as QuantizeMode), ...t } : t)) : m.tracks,
  }),
];

/** Brings `raw` from its version to `target` through `migrations`, one step at a time. */
export function migrate(raw: Raw, field: string, migrations: readonly Migration[] = MIGRATIONS, target = MANIFEST_VERSION): Raw {
  let version = numberIn(raw.version, `${field}version`, [1, Number.MAX_SAFE_INTEGER], true);
  if (version > target) {
    throw new InputError(`${field}version`, `${version} was written by a newer loopstation; this one reads versions 1 to ${target}`);
  }
  let m = raw;
  while (version < target) {
    m = { ...migrations[version - 1](m), version: version + 1 };
    version++;
  }
  return m;
}

/** Parses and checks a manifest's text. `file` prefixes every field name in errors (InputError). */
export function parseManifest(text: string, file: string): Manifest {
  const f = `${file}: `;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `not valid JSON (${(e as Error).message}); the file is damaged or was cut off`);
  }
  if (!isObject(raw) || raw.format !== SESSION_FORMAT) throw new InputError(file, `not a loopstation session manifest (no "format": "${SESSION_FORMAT}")`);
  const m = migrate(raw, f);
  const quantize = quantizeField(m.quantize, `${f}quantize`);
  if (!Array.isArray(m.tracks)) throw new InputError(`${f}tracks`, 'missing or not an array');
  if (m.tracks.length > LIMITS.tracks[1]) throw new InputError(`${f}tracks`, `${m.tracks.length} tracks; accepted: up to ${LIMITS.tracks[1]}`);
  const tracks = m.tracks.map((t: unknown, i: number) => parseTrack(t, `${f}tracks[${i}].`));
  const seen = new Set<number>();
  for (const t of tracks) {
    if (seen.has(t.track)) throw new InputError(`${f}tracks`, `track ${t.track} appears twice`);
    seen.add(t.track);
  }
  return {
    format: SESSION_FORMAT,
    version: MANIFEST_VERSION,
    savedAt: typeof m.savedAt === 'string' ? m.savedAt : '',
    sampleRate: numberIn(m.sampleRate, `${f}sampleRate`, LIMITS.sampleRate, true),
    bpm: numberIn(m.bpm, `${f}bpm`, LIMITS.bpm),
    beatsPerBar: numberIn(m.beatsPerBar, `${f}beatsPerBar`, LIMITS.beatsPerBar, true),
    quantize,
    masterVolume: numberIn(m.masterVolume, `${f}masterVolume`, LIMITS.volume),
    masterTrack: numberIn(m.masterTrack, `${f}masterTrack`, [0, LIMITS.tracks[1]], true),
    metronomeBus: numberIn(m.metronomeBus, `${f}metronomeBus`, [1, LIMITS.outputBuses[1]], true),
    monitorBus: numberIn(m.monitorBus, `${f}monitorBus`, [1, LIMITS.outputBuses[1]], true),
    monitorInput: sourceField(m.monitorInput, `${f}monitorInput`),
    tracks,
  };
}

function parseTrack(raw: unknown, f: string): TrackEntry {
  if (!isObject(raw)) throw new InputError(f.slice(0, -1), 'must be an object');
  if (!(SAVED_STATES as readonly unknown[]).includes(raw.state)) {
    throw new InputError(`${f}state`, `${JSON.stringify(raw.state)}; accepted: ${SAVED_STATES.join(', ')}`);
  }
  if (!Array.isArray(raw.layers)) throw new InputError(`${f}layers`, 'missing or not an array');
  if (raw.layers.length > MAX_LAYERS) throw new InputError(`${f}layers`, `${raw.layers.length} layers; accepted: up to ${MAX_LAYERS}`);
  const layers = raw.layers.map((l: unknown, i: number) => parseLayer(l, `${f}layers[${i}].`));
  return {
    track: numberIn(raw.track, `${f}track`, LIMITS.tracks, true),
    state: raw.state as SavedState,
    volume: numberIn(raw.volume, `${f}volume`, LIMITS.volume),
    pan: numberIn(raw.pan, `${f}pan`, LIMITS.pan),
    muted: booleanOf(raw.muted, `${f}muted`),
    soloed: booleanOf(raw.soloed, `${f}soloed`),
    live: booleanOf(raw.live, `${f}live`),
    quantize: quantizeField(raw.quantize, `${f}quantize`),
    feedback: numberIn(raw.feedback, `${f}feedback`, LIMITS.feedback),
    inputGain: numberIn(raw.inputGain, `${f}inputGain`, LIMITS.volume),
    source: sourceField(raw.source, `${f}source`),
    cueBus: numberIn(raw.cueBus, `${f}cueBus`, [0, LIMITS.outputBuses[1]], true),
    cueSend: numberIn(raw.cueSend, `${f}cueSend`, LIMITS.volume),
    current: numberIn(raw.current, `${f}current`, [-1, layers.length - 1], true),
    layers,
  };
}

function quantizeField(v: unknown, field: string): QuantizeMode {
  if (!(QUANTIZE_MODES as readonly unknown[]).includes(v)) {
    throw new InputError(field, `${JSON.stringify(v)} is not a quantize mode; accepted: ${QUANTIZE_MODES.join(', ')}`);
  }
  return v as QuantizeMode;
}

/**
 * An input source as the manifest keeps it, its name. Any source of the largest input is accepted here:
 * whether the engine restoring it has that channel is restore's question (it reports what it drops).
 */
function sourceField(v: unknown, field: string): string {
  return sourceName(sourceOf(v, field, LIMITS.inputChannels[1]));
}

/** A layer or capture file name: a plain name, so a manifest can never point outside its folder. */
export const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function parseLayer(raw: unknown, f: string): LayerEntry {
  if (!isObject(raw)) throw new InputError(f.slice(0, -1), 'must be an object');
  if (typeof raw.file !== 'string' || !FILE_NAME.test(raw.file) || raw.file.includes('..') || !raw.file.endsWith('.wav')) {
    throw new InputError(`${f}file`, `${JSON.stringify(raw.file)}; accepted: a plain .wav file name in the session's layers folder`);
  }
  if (raw.from !== undefined && (typeof raw.from !== 'string' || !FILE_NAME.test(raw.from))) {
    throw new InputError(`${f}from`, `${JSON.stringify(raw.from)}; accepted: a capture file name`);
  }
  return {
    file: raw.file,
    frames: numberIn(raw.frames, `${f}frames`, [1, MAX_LAYER_FRAMES], true),
    anchor: numberIn(raw.anchor, `${f}anchor`, [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], true),
    ...(raw.from !== undefined ? { from: raw.from as string } : {}),
  };
}

/** The manifest's text: stable key order, one line per layer, so a diff of two sessions is readable. */
export function formatManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 1)}\n`;
}
