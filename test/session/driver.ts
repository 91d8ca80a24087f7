import { Engine } from '../../lib/engine/engine';
import { parseCommand } from '../../lib/engine/commands';
import { EngineOptions } from '../../lib/engine/types';
import { Step } from '../engine/harness';

// Drives an Engine block by block like the live host does (input in, process, a hook after each block),
// so session code can be checked against the exact state the engine was in at any block.

export class Driver {
  readonly engine: Engine;
  private readonly steps: Step[];
  private next = 0;

  constructor(readonly options: EngineOptions, private readonly input: Float32Array | null, steps: Step[], readonly block = options.maxBlockFrames) {
    this.engine = new Engine({ ...options, maxBlockFrames: Math.max(options.maxBlockFrames, block) });
    this.steps = [...steps].sort((a, b) => a.frame - b.frame);
  }

  /**
   * Renders blocks until the engine reaches `frame`, calling `after` after each; returns the output (every
   * bus, interleaved as outputView()). The input holds the engine's inputChannels per frame.
   */
  runTo(frame: number, after: () => void = () => undefined): Float32Array {
    const e = this.engine;
    const inCh = e.inputChannels;
    const outCh = 2 * e.outputBuses;
    const out = new Float32Array(Math.max(0, frame - e.frame) * outCh);
    const first = e.frame;
    while (e.frame < frame) {
      const at = e.frame;
      const n = Math.min(this.block, frame - at);
      while (this.next < this.steps.length && this.steps[this.next].frame < at + n) {
        const s = this.steps[this.next++];
        const c = parseCommand(s, this.options.tracks);
        e.command(c.cmd, c.track, s.frame, c.value);
      }
      const view = e.inputView();
      view.fill(0, 0, n * inCh);
      if (this.input && at * inCh < this.input.length) view.set(this.input.subarray(at * inCh, Math.min((at + n) * inCh, this.input.length)));
      e.process(n);
      out.set(e.outputView().subarray(0, n * outCh), (at - first) * outCh);
      e.events.drain(() => undefined);
      after();
    }
    return out;
  }
}

export interface LayerCopy {
  data: Float32Array;
  anchor: number;
}

/** Copies of a track's layers, bottom to top, and the undo position. */
export function layersOf(engine: Engine, track: number): { layers: LayerCopy[]; current: number } {
  const tr = engine.tracks[track - 1];
  const layers: LayerCopy[] = [];
  for (let i = 0; i < tr.layerCount; i++) {
    const at = tr.layerLoop[i];
    layers.push({ data: engine.memory.slice(at, at + tr.layerLen[i] * 2), anchor: tr.layerAnchor[i] });
  }
  return { layers, current: tr.layerIndex };
}

/** Index of the first sample where a and b differ (as bits), -1 when identical. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
