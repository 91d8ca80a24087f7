// The engine's side of the audio bridge's two rings (native/bridge/bridge.c is the device's side). One
// SharedArrayBuffer holds a header of int32 slots and two float32 rings of interleaved frames:
//   input ring:  the device callback writes, the engine reads a whole block at a time;
//   output ring: the engine writes a block at a time, the callback reads what the device asks for.
// Each ring has one writer and one reader (single-producer/single-consumer), so positions need no lock:
// a writer publishes its position after its frames, a reader after it took them (Atomics are
// sequentially consistent, the C side uses acquire/release). Positions are frame counters that wrap at
// 2^32; capacities are powers of two, so `position & (capacity - 1)` stays the right slot through a wrap.
//
// When the engine is late the callback plays silence and adds the frames it could not play to OUT_DEBT;
// the engine then drops as many frames of its next output, so the delay from engine to device stays the
// slack it started with instead of growing by every late block. When the input ring is full the callback
// adds the input it could not keep to IN_DROPPED; the engine renders silence for as many frames, so the
// engine's frame count stays the device's (loops stay on the click the band hears).
// Nothing here allocates after construction.

/** Header slots; the same order as the enum in native/bridge/bridge.c. */
export const enum Slot {
  InWrite,
  InRead,
  OutWrite,
  OutRead,
  OutDebt,
  InDropped,
  XrunInputOverflow,
  XrunOutputUnderflow,
  XrunEngineLate,
  XrunRingFull,
  Callbacks,
  Unpaced,
  StatusFlags,
}
export const HEADER_SLOTS = 16;

/** Xrun counters by what lost audio: the device (PortAudio's status flags) or the engine (late, or stalled). */
export interface XrunCounts {
  inputOverflow: number;
  outputUnderflow: number;
  engineLate: number;
  ringFull: number;
}

export interface RingOptions {
  inChannels: number;
  outChannels: number;
  /** frames each ring holds: a power of two */
  capacityFrames: number;
  /** the engine's channels on each side (default 2): readInput and writeOutput map the device's to them */
  engineInChannels?: number;
  engineOutChannels?: number;
}

/** The smallest power of two >= n. */
export function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class BridgeRings {
  readonly buffer: SharedArrayBuffer;
  readonly header: Int32Array;
  readonly inRing: Float32Array;
  readonly outRing: Float32Array;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly capacityFrames: number;
  readonly engineInChannels: number;
  readonly engineOutChannels: number;
  private readonly mask: number;

  constructor(options: RingOptions) {
    const { inChannels, outChannels, capacityFrames } = options;
    if (powerOfTwoAtLeast(capacityFrames) !== capacityFrames) throw new RangeError(`capacityFrames must be a power of two, got ${capacityFrames}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.capacityFrames = capacityFrames;
    this.engineInChannels = options.engineInChannels ?? 2;
    this.engineOutChannels = options.engineOutChannels ?? 2;
    this.mask = capacityFrames - 1;
    const headerBytes = HEADER_SLOTS * 4;
    const inFloats = capacityFrames * inChannels;
    const outFloats = capacityFrames * outChannels;
    this.buffer = new SharedArrayBuffer(headerBytes + (inFloats + outFloats) * 4);
    this.header = new Int32Array(this.buffer, 0, HEADER_SLOTS);
    this.inRing = new Float32Array(this.buffer, headerBytes, inFloats);
    this.outRing = new Float32Array(this.buffer, headerBytes + inFloats * 4, outFloats);
  }

  /** Queues `frames` of silence ahead of the device: the slack the engine has to be late before a dropout. */
  prefillOutput(frames: number): void {
    if (frames > this.capacityFrames) throw new RangeError(`the prefill (${frames} frames) is larger than the ring (${this.capacityFrames})`);
    const w = Atomics.load(this.header, Slot.OutWrite);
    for (let i = 0; i < frames; i++) {
      const at = ((w + i) & this.mask) * this.outChannels;
      for (let c = 0; c < this.outChannels; c++) this.outRing[at + c] = 0;
    }
    Atomics.store(this.header, Slot.OutWrite, (w + frames) | 0);
  }

  /** Input frames the callback has written and the engine has not taken. */
  inputAvailable(): number {
    return (Atomics.load(this.header, Slot.InWrite) - Atomics.load(this.header, Slot.InRead)) >>> 0;
  }

  /** Output frames written and not yet played. */
  outputQueued(): number {
    return (Atomics.load(this.header, Slot.OutWrite) - Atomics.load(this.header, Slot.OutRead)) >>> 0;
  }

  /**
   * Takes `frames` input frames into `to`, interleaved in the engine's channels (a device with fewer
   * repeats its last channel: a mono input goes to both sides of a stereo engine; extra channels are
   * left out). The caller checked inputAvailable().
   */
  readInput(to: Float32Array, frames: number): void {
    const r = Atomics.load(this.header, Slot.InRead);
    const ch = this.inChannels;
    const e = this.engineInChannels;
    const ring = this.inRing;
    for (let i = 0; i < frames; i++) {
      const at = ((r + i) & this.mask) * ch;
      for (let c = 0; c < e; c++) to[i * e + c] = ring[at + (c < ch ? c : ch - 1)];
    }
    Atomics.store(this.header, Slot.InRead, (r + frames) | 0);
  }

  /** Takes up to `frames` of the input the callback dropped (ring full); returns how many the engine renders as silence. */
  takeDroppedInput(frames: number): number {
    const dropped = Atomics.load(this.header, Slot.InDropped);
    const n = Math.min(dropped, frames);
    if (n > 0) Atomics.sub(this.header, Slot.InDropped, n);
    return n;
  }

  /**
   * Queues a block of output in the engine's channels (`from`, `frames` frames): the device's channel c
   * gets the engine's channel c, silence where the engine has none. Frames the callback already played
   * as silence are skipped first (OUT_DEBT). Returns the frames that did not fit (0 normally).
   */
  writeOutput(from: Float32Array, frames: number): number {
    const debt = Atomics.load(this.header, Slot.OutDebt);
    const skip = Math.min(debt, frames);
    if (skip > 0) Atomics.sub(this.header, Slot.OutDebt, skip);
    const w = Atomics.load(this.header, Slot.OutWrite);
    const room = this.capacityFrames - this.outputQueued();
    const n = Math.min(frames - skip, room);
    const ch = this.outChannels;
    const e = this.engineOutChannels;
    const ring = this.outRing;
    for (let i = 0; i < n; i++) {
      const at = ((w + i) & this.mask) * ch;
      const src = (skip + i) * e;
      for (let c = 0; c < ch; c++) ring[at + c] = c < e ? from[src + c] : 0;
    }
    Atomics.store(this.header, Slot.OutWrite, (w + n) | 0);
    return frames - skip - n;
  }

  callbacks(): number {
    return Atomics.load(this.header, Slot.Callbacks) >>> 0;
  }

  /** The device took frames faster than real time, so the callback paces itself. */
  unpaced(): boolean {
    return Atomics.load(this.header, Slot.Unpaced) !== 0;
  }

  xruns(into: XrunCounts): XrunCounts {
    into.inputOverflow = Atomics.load(this.header, Slot.XrunInputOverflow);
    into.outputUnderflow = Atomics.load(this.header, Slot.XrunOutputUnderflow);
    into.engineLate = Atomics.load(this.header, Slot.XrunEngineLate);
    into.ringFull = Atomics.load(this.header, Slot.XrunRingFull);
    return into;
  }
}
