import { EngineOptions, QUANTIZE_MODES } from '../../lib/engine/types';
import { Step, noise, plain } from '../engine/harness';

// The sessions the kill -9 tests play, shared by the child that plays them live and the test that
// replays them offline to know what the engine held at any frame.

export const CRASH_OPTIONS: EngineOptions = plain({ sampleRate: 48000, tracks: 2, crossfadeFrames: 64, inputLatencyFrames: 100, memoryMiB: 32 });
export const CRASH_BLOCK = 256;
const s = (seconds: number) => Math.round(seconds * CRASH_OPTIONS.sampleRate);
export const CRASH_INPUT = noise(s(30), 11);

export interface CrashScenario {
  steps: Step[];
  /** the parent kills the child once it reports this frame */
  killAt: number;
  /** the track whose pass is interrupted (or completed, for the kills after a pass's end) */
  track: number;
  /** the engine (default CRASH_OPTIONS) and its input, inputChannels per frame (default CRASH_INPUT) */
  options?: EngineOptions;
  input?: () => Float32Array;
}

export const CRASH_SCENARIOS: Record<string, CrashScenario> = {
  // a record pass and an overdub pass complete, the second overdub is 1.5 s in
  overdub: {
    steps: [
      { frame: s(0.2), track: 1, command: 'record' },
      { frame: s(1.2), track: 1, command: 'play' },
      { frame: s(1.4), track: 1, command: 'overdub' },
      { frame: s(2.6), track: 1, command: 'play' },
      { frame: s(3.0), track: 1, command: 'overdub' },
    ],
    killAt: s(4.5),
    track: 1,
  },
  // track 1 holds two passes, track 2 has been recording for 1.4 s
  record: {
    steps: [
      { frame: s(0.2), track: 1, command: 'record' },
      { frame: s(1.2), track: 1, command: 'play' },
      { frame: s(1.3), track: 1, command: 'overdub' },
      { frame: s(2.4), track: 1, command: 'play' },
      { frame: s(2.6), track: 2, command: 'record' },
    ],
    killAt: s(4.0),
    track: 2,
  },
};

/** Sessions whose pass ends at killAt: the kills after a pass's end start there. */
export const PASS_END_SCENARIOS: Record<string, CrashScenario> = {
  // a 2 s recording on track 1 ends at 2.2 s
  'record-end': {
    steps: [
      { frame: s(0.2), track: 1, command: 'record' },
      { frame: s(2.2), track: 1, command: 'play' },
    ],
    killAt: s(2.2),
    track: 1,
  },
  // a 2 s recording, then an overdub pass that ends at 5 s
  'overdub-end': {
    steps: [
      { frame: s(0.2), track: 1, command: 'record' },
      { frame: s(2.2), track: 1, command: 'play' },
      { frame: s(2.5), track: 1, command: 'overdub' },
      { frame: s(5.0), track: 1, command: 'play' },
    ],
    killAt: s(5.0),
    track: 1,
  },
};

/** 4 inputs, 3 output buses, 3 tracks: every per-loop setting and routing choice has somewhere to go. */
export const SETTINGS_OPTIONS: EngineOptions = { ...CRASH_OPTIONS, tracks: 3, inputChannels: 4, outputBuses: 3 };
/** 10 s of 4-channel noise (made when asked: most children of the kill tests play other scenarios) */
export const settingsInput = (): Float32Array => noise(s(10) * 2, 12);
/** the settings changes: step k at SETTINGS_FIRST + (k - 1) * SETTINGS_EVERY */
export const SETTINGS_FIRST = s(1.5);
export const SETTINGS_EVERY = s(0.04);
export const SETTINGS_STEPS = 75;

/**
 * Step k of the settings changes, all at one frame: track 1's cue send k/64 (so the restored gain names
 * the step), and with it every other kept setting, each cycling through its values.
 */
export function settingsStep(k: number): { frame: number; track?: number; command: string; value?: unknown }[] {
  const frame = SETTINGS_FIRST + (k - 1) * SETTINGS_EVERY;
  return [
    { frame, track: 1, command: 'cueSend', value: k / 64 },
    { frame, track: 1, command: 'cueBus', value: k % 4 },
    { frame, track: 1, command: 'input', value: ['all', '3', '3-4', '2'][k % 4] },
    { frame, track: 1, command: 'feedback', value: (k % 5) / 4 },
    { frame, track: 2, command: 'quantize', value: QUANTIZE_MODES[k % 4] },
    { frame, track: 2, command: 'inputGain', value: (k % 8) / 4 },
    { frame, track: 3, command: k % 2 === 1 ? 'deleteLoop' : 'addLoop' },
    { frame, command: 'metronomeBus', value: 1 + (k % 3) },
    { frame, command: 'monitorInput', value: ['all', '1', '1-2'][k % 3] },
  ];
}

/** Sessions whose settings keep changing when the process is killed. */
export const SETTINGS_SCENARIOS: Record<string, CrashScenario> = {
  // a 1 s recording on track 1, then a change of every kept setting each 40 ms from 1.5 s to 4.46 s
  settings: {
    steps: [
      { frame: s(0.2), track: 1, command: 'record' },
      { frame: s(1.2), track: 1, command: 'play' },
      ...Array.from({ length: SETTINGS_STEPS }, (_, i) => settingsStep(i + 1)).flat(),
    ],
    killAt: s(3.5),
    track: 1,
    options: SETTINGS_OPTIONS,
    input: settingsInput,
  },
};

export const ALL_SCENARIOS: Record<string, CrashScenario> = { ...CRASH_SCENARIOS, ...PASS_END_SCENARIOS, ...SETTINGS_SCENARIOS };
