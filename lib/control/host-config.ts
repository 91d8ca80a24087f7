import path from 'path';
import { InputError } from '../engine/commands';
import { DEFAULT_OPTIONS, LIMITS, QUANTIZE_MODES, QuantizeMode } from '../engine/types';
import { BackendName, engineOptionsOf, HostConfig, SLACK_PERIODS, SYNC_SOURCES, SyncSource } from '../io/protocol';
import { ConfigError } from './errors';
import { optionalBoolean, requiredNumber } from './settings';

// The engine config node's fields (as the editor saves them: strings and numbers) to a HostConfig,
// checked field by field; a bad field is a ConfigError naming it.

export const BACKENDS: readonly (BackendName | 'auto')[] = ['auto', 'portaudio', 'null'];

export const DEFAULT_HOST_CONFIG: HostConfig = {
  sampleRate: 48000,
  blockFrames: 256,
  tracks: 8,
  bpm: DEFAULT_OPTIONS.bpm,
  beatsPerBar: DEFAULT_OPTIONS.beatsPerBar,
  quantize: DEFAULT_OPTIONS.quantize,
  crossfadeFrames: DEFAULT_OPTIONS.crossfadeFrames,
  inputLatencyFrames: 0,
  backend: 'auto',
  inputDevice: '',
  outputDevice: '',
  sessionDir: '',
  metronome: { enabled: true, volume: DEFAULT_OPTIONS.metronome.volume, countInBars: 0, sound: 'builtin' },
  memoryMiB: DEFAULT_OPTIONS.memoryMiB,
};

function oneOf<T extends string>(def: Record<string, unknown>, field: string, allowed: readonly T[], fallback: T): T {
  const v = def[field];
  if (v === undefined || v === '') return fallback;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(field, `${JSON.stringify(v)} is not accepted; accepted: ${allowed.join(', ')}`);
}

function text(def: Record<string, unknown>, field: string, fallback: string): string {
  const v = def[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw new ConfigError(field, 'must be text');
  return v.trim();
}

/** The session folder when the setting is empty: in the Node-RED user directory. */
export const DEFAULT_SESSION_FOLDER = 'loopstation-sessions';

/**
 * The session folder setting against Node-RED's userDir: empty = <userDir>/loopstation-sessions, a
 * relative path is under the userDir, "none" = no autosave and no sessions. Without a userDir (tests,
 * embedders), empty stays none.
 */
export function withSessionDir(config: HostConfig, userDir: unknown): HostConfig {
  const dir = config.sessionDir;
  if (dir.toLowerCase() === 'none') return { ...config, sessionDir: '' };
  const base = typeof userDir === 'string' && userDir !== '' ? userDir : undefined;
  if (base === undefined) return dir === '' ? config : { ...config, sessionDir: path.resolve(dir) };
  return { ...config, sessionDir: path.resolve(base, dir || DEFAULT_SESSION_FOLDER) };
}

export function hostConfigOf(def: Record<string, unknown>): HostConfig {
  const d = DEFAULT_HOST_CONFIG;
  const config: HostConfig = {
    sampleRate: requiredNumber(def, 'sampleRate', LIMITS.sampleRate, d.sampleRate, true),
    blockFrames: requiredNumber(def, 'blockSize', LIMITS.maxBlockFrames, d.blockFrames, true),
    tracks: requiredNumber(def, 'tracks', LIMITS.tracks, d.tracks, true),
    bpm: requiredNumber(def, 'bpm', LIMITS.bpm, d.bpm),
    beatsPerBar: requiredNumber(def, 'beatsPerBar', LIMITS.beatsPerBar, d.beatsPerBar, true),
    quantize: oneOf<QuantizeMode>(def, 'quantize', QUANTIZE_MODES, d.quantize),
    crossfadeFrames: requiredNumber(def, 'crossfadeFrames', LIMITS.crossfadeFrames, d.crossfadeFrames, true),
    inputLatencyFrames: requiredNumber(def, 'inputLatencyFrames', LIMITS.inputLatencyFrames, d.inputLatencyFrames, true),
    backend: oneOf(def, 'backend', BACKENDS, d.backend),
    inputDevice: text(def, 'inputDevice', d.inputDevice),
    outputDevice: text(def, 'outputDevice', d.outputDevice),
    sessionDir: text(def, 'sessionDir', d.sessionDir),
    metronome: {
      ...d.metronome,
      countInBars: requiredNumber(def, 'countInBars', LIMITS.countInBars, d.metronome.countInBars, true),
      sound: text(def, 'clickSound', d.metronome.sound) || 'builtin',
    },
    memoryMiB: requiredNumber(def, 'memoryMiB', LIMITS.memoryMiB, d.memoryMiB, true),
    inputChannels: requiredNumber(def, 'inputChannels', LIMITS.inputChannels, 2, true),
    outputChannels: requiredNumber(def, 'outputChannels', [2, 2 * LIMITS.outputBuses[1]], 2, true),
    slackPeriods: requiredNumber(def, 'slackPeriods', [SLACK_PERIODS.min, SLACK_PERIODS.max], SLACK_PERIODS.default, true),
    sync: oneOf<SyncSource>(def, 'sync', SYNC_SOURCES, 'internal'),
    linkStartStop: optionalBoolean(def, 'linkStartStop') ?? false,
  };
  try {
    // the checks that span fields (a crossfade longer than a second...) are the engine's
    engineOptionsOf(config);
  } catch (err) {
    if (err instanceof InputError) throw new ConfigError(err.field, err.problem);
    throw err;
  }
  return config;
}
