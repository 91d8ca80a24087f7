import { Engine } from '../../lib/engine/engine';
import { parseCommand } from '../../lib/engine/commands';
import { DEFAULT_OPTIONS, EngineOptions, MetronomeOptions } from '../../lib/engine/types';
import { EngineEvent } from '../../lib/engine/events';

// Drives an Engine offline, block by block, the way `loopstation render` does, for exact assertions.

export interface Step {
  frame: number;
  command: string;
  track?: number;
  value?: unknown;
}

export type Options = Partial<Omit<EngineOptions, 'metronome'>> & { metronome?: Partial<MetronomeOptions> };

/** Quiet options: no metronome, no monitor, no crossfade, quantize off, so outputs are the loops alone. */
export function plain(o: Options = {}): EngineOptions {
  return {
    ...DEFAULT_OPTIONS,
    monitor: false,
    quantize: 'off',
    crossfadeFrames: 0,
    memoryMiB: 16,
    maxBlockFrames: 256,
    ...o,
    metronome: { ...DEFAULT_OPTIONS.metronome, enabled: false, ...o.metronome },
  } as EngineOptions;
}

export interface Run {
  engine: Engine;
  out: Float32Array;
  stems: Float32Array[];
  events: EngineEvent[];
}

export function run(options: EngineOptions, input: Float32Array | null, frames: number, steps: Step[], block = options.maxBlockFrames): Run {
  const engine = new Engine({ ...options, maxBlockFrames: Math.max(options.maxBlockFrames, block) });
  // the input holds engine.inputChannels interleaved channels, the output 2 * engine.outputBuses
  const ins = engine.inputChannels;
  const outs = 2 * engine.outputBuses;
  const out = new Float32Array(frames * outs);
  const stems = options.stems ? engine.tracks.map(() => new Float32Array(frames * 2)) : [];
  const events: EngineEvent[] = [];
  const sorted = [...steps].sort((a, b) => a.frame - b.frame);
  let next = 0;
  for (let at = 0; at < frames; at += block) {
    const n = Math.min(block, frames - at);
    while (next < sorted.length && sorted[next].frame < at + n) {
      const s = sorted[next++];
      const c = parseCommand(s, options.tracks);
      engine.command(c.cmd, c.track, s.frame, c.value);
    }
    const inView = engine.inputView();
    inView.fill(0, 0, n * ins);
    if (input && at * ins < input.length) inView.set(input.subarray(at * ins, Math.min((at + n) * ins, input.length)));
    engine.process(n);
    out.set(engine.outputView().subarray(0, n * outs), at * outs);
    stems.forEach((s, t) => s.set(engine.stemView(t + 1).subarray(0, n * 2), at * 2));
    engine.events.drain((e) => events.push({ ...e }));
  }
  return { engine, out, stems, events };
}

/** A seeded PRNG (mulberry32), so "random" inputs are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Interleaved stereo noise in [-amp, amp), distinct in each channel. */
export function noise(frames: number, seed = 1, amp = 0.5): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(frames * 2);
  for (let i = 0; i < x.length; i++) x[i] = (r() * 2 - 1) * amp;
  return x;
}

export function sine(frames: number, hz: number, rate: number, amp = 0.5): Float32Array {
  const x = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) x[i * 2] = x[i * 2 + 1] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return x;
}

/** Frame i of an interleaved stereo buffer as [L, R]. */
export const at = (x: Float32Array, i: number): [number, number] => [x[i * 2], x[i * 2 + 1]];
