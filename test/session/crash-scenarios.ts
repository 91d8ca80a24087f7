import { EngineOptions } from '../../lib/engine/types';
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

export const ALL_SCENARIOS: Record<string, CrashScenario> = { ...CRASH_SCENARIOS, ...PASS_END_SCENARIOS };
