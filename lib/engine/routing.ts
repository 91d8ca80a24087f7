import { Track } from './track';
import { Kernels } from '../dsp';

// Multi-channel routing (docs/routing.md). The engine's input is `inputChannels` interleaved channels;
// a track records, and the monitor hears, a stereo *source bus* derived from them each block:
//   "all"   channels 1-2 as today (a one-channel input: channel 1 on both sides),
//   "k"     mono channel k on both sides at unity, the centre of the engine's pan law (L^2 + R^2 = 2),
//   "k-k+1" the pair k, k+1.
// A source travels as a number (commands, IPC, sessions): 0 = all, k = mono k, -k = the pair k-(k+1).
// The output is `outputBuses` stereo buses, interleaved as device channels 2b-1, 2b; bus 1 is the main
// mix. Real-time side: deriveAll(), derive() and interleave() allocate nothing.

export const SOURCE_ALL = 0;

/** The source's name as msgs and scripts say it: "all", "3", "3-4". */
export function sourceName(code: number): string {
  if (code === SOURCE_ALL) return 'all';
  return code > 0 ? String(code) : `${-code}-${-code + 1}`;
}

/**
 * A source code from what a msg, script or editor says ("all", 3, "3", "3-4"), or a problem text.
 * `channels` bounds the channel numbers.
 */
export function sourceCode(v: unknown, channels: number): number | string {
  const accepted = `accepted: "all", a channel from 1 to ${channels} (mono), or a pair like "1-2"`;
  if (v === 'all' || v === SOURCE_ALL || v === '0') return SOURCE_ALL;
  // a pair's code as the engine and the IPC carry it: -k
  const text = typeof v === 'number' ? (Number.isInteger(v) && v < 0 ? `${-v}-${-v + 1}` : String(v)) : typeof v === 'string' ? v.trim() : '';
  const mono = /^(\d+)$/.exec(text);
  if (mono) {
    const k = Number(mono[1]);
    return k >= 1 && k <= channels ? k : `channel ${k} is out of range; ${accepted}`;
  }
  const pair = /^(\d+)\s*-\s*(\d+)$/.exec(text);
  if (pair) {
    const k = Number(pair[1]);
    if (Number(pair[2]) !== k + 1) return `${JSON.stringify(v)} is not two adjacent channels; ${accepted}`;
    return k >= 1 && k + 1 <= channels ? -k : `the pair ${k}-${k + 1} is out of range; ${accepted}`;
  }
  return `${typeof v === 'string' ? JSON.stringify(v) : String(v)} is not an input source; ${accepted}`;
}

/** Whether an input of `channels` channels has the source. */
export function hasSource(code: number, channels: number): boolean {
  return Number.isInteger(code) && (code === SOURCE_ALL || (code > 0 ? code <= channels : -code + 1 <= channels));
}

/** The source's left and right channels (0-based) in an input of `channels` channels. */
export function sourceLeft(code: number): number {
  if (code === SOURCE_ALL) return 0;
  return code > 0 ? code - 1 : -code - 1;
}
export function sourceRight(code: number, channels: number): number {
  if (code === SOURCE_ALL) return channels === 1 ? 0 : 1;
  return code > 0 ? code - 1 : -code;
}

export class Routing {
  readonly channels: number;
  readonly buses: number;
  /** arena offsets of the output buses (stereo, maxBlockFrames frames each); [0] is the main mix bus */
  readonly busAt: Int32Array;
  /** arena offset of the interleaved output (2 * buses channels): the main bus itself when there is one bus */
  readonly output: number;
  /** arena offset of each source's stereo bus, by sourceIndex(); the "all" of a stereo input is the input itself */
  private readonly sourceAt: Int32Array;
  private readonly used: Uint8Array;

  constructor(
    private readonly dsp: Kernels,
    reserve: (floats: number) => number,
    /** arena offset of the interleaved input (channels floats per frame) */
    private readonly input: number,
    mixBus: number,
    maxBlockFrames: number,
    channels: number,
    buses: number,
  ) {
    this.channels = channels;
    this.buses = buses;
    const block = maxBlockFrames * 2;
    this.busAt = new Int32Array(buses);
    this.busAt[0] = mixBus;
    for (let b = 1; b < buses; b++) this.busAt[b] = reserve(block);
    this.output = buses === 1 ? mixBus : reserve(block * buses);
    this.sourceAt = new Int32Array(2 * channels);
    this.used = new Uint8Array(2 * channels);
    for (let i = 0; i < this.sourceAt.length; i++) this.sourceAt[i] = i === 0 && channels === 2 ? input : reserve(block);
  }

  /** A source's slot: 0 = all, k = mono k, channels + k = the pair k-(k+1). */
  private sourceIndex(code: number): number {
    return code >= 0 ? code : this.channels - code;
  }

  /** Arena offset of a source's stereo bus (valid for the block once derived). */
  sourceBus(code: number): number {
    return this.sourceAt[this.sourceIndex(code)];
  }

  /**
   * Derives, for the block's `frames`, the stereo bus of every source in use (the tracks' and the
   * monitor's), and points each track at its own. A stereo input's "all" is the input itself: nothing
   * to derive, so a stereo engine does exactly what it did before routing existed.
   */
  deriveAll(tracks: readonly Track[], monitorInput: number, frames: number): void {
    this.used.fill(0);
    this.derive(monitorInput, frames);
    for (let i = 0; i < tracks.length; i++) {
      const tr = tracks[i];
      this.derive(tr.source, frames);
      tr.sourceBus = this.sourceBus(tr.source);
    }
  }

  /** Derives one source's bus for the block, once per block (a source chosen mid-block is derived then). */
  derive(code: number, frames: number): void {
    const i = this.sourceIndex(code);
    if (this.used[i] === 1) return;
    this.used[i] = 1;
    if (this.sourceAt[i] === this.input) return;
    const n = this.channels;
    this.dsp.extractPair(this.sourceAt[i], this.input, frames, n, sourceLeft(code), sourceRight(code, n));
  }

  /** Interleaves the buses into the output (nothing to do with one bus: the output is bus 1). */
  interleave(frames: number): void {
    if (this.buses === 1) return;
    for (let b = 0; b < this.buses; b++) this.dsp.insertPair(this.output, this.busAt[b], frames, this.buses * 2, b * 2);
  }

  /** Floats of the interleaved input region for maxBlockFrames (rounded up to whole stereo frames). */
  static inputFloats(maxBlockFrames: number, channels: number): number {
    return Math.ceil((maxBlockFrames * channels) / 2) * 2;
  }
}
