// One Float32 arena for every loop, undo layer and bus, so the DSP kernels see one linear memory
// addressed by offsets, never by JS objects. The arena is a WebAssembly.Memory, so the Wasm kernels
// (lib/dsp) read and write loops where they live; where WebAssembly is missing, a plain ArrayBuffer.
//
// The arena is sized once to the memory budget and never grows: `memory` (and every view the engine
// makes of it at construction) stays valid for the arena's life, so process() never re-makes a view.
// Linux commits the pages of a large zero-filled buffer lazily, so an untouched budget costs no
// resident memory.
//
// Floats 0..KERNEL_ARGS_FLOATS-1 are the DSP kernels' argument block (lib/dsp/index.ts), never allocated.
// Regions are counted in float32 elements. The free list lives in preallocated typed arrays, so
// alloc/free called from inside process() (a record or overdub taking effect) allocate nothing.

import { KERNEL_ARGS_FLOATS } from '../dsp';

const MAX_FREE_RANGES = 4096;
const WASM_PAGE_BYTES = 65536;

export class Arena {
  readonly memory: Float32Array;
  /** the WebAssembly.Memory under `memory`, or null when WebAssembly could not provide one */
  readonly wasmMemory: WebAssembly.Memory | null;
  private readonly freeStart = new Float64Array(MAX_FREE_RANGES);
  private readonly freeSize = new Float64Array(MAX_FREE_RANGES);
  private freeCount = 1;

  constructor(floats: number) {
    this.wasmMemory = wasmMemory(floats * 4);
    this.memory = new Float32Array(this.wasmMemory ? this.wasmMemory.buffer : new ArrayBuffer(floats * 4), 0, floats);
    this.freeStart[0] = KERNEL_ARGS_FLOATS;
    this.freeSize[0] = floats - KERNEL_ARGS_FLOATS;
  }

  get size(): number {
    return this.memory.length;
  }

  /** First fit. Returns the offset, or -1 when no free range is large enough. */
  alloc(floats: number): number {
    if (floats <= 0) return -1;
    for (let i = 0; i < this.freeCount; i++) {
      if (this.freeSize[i] >= floats) {
        const at = this.freeStart[i];
        this.freeStart[i] += floats;
        this.freeSize[i] -= floats;
        if (this.freeSize[i] === 0) this.removeRange(i);
        return at;
      }
    }
    return -1;
  }

  /** The largest free range's size (0 when full). */
  largestFree(): number {
    let best = 0;
    for (let i = 0; i < this.freeCount; i++) if (this.freeSize[i] > best) best = this.freeSize[i];
    return best;
  }

  totalFree(): number {
    let sum = 0;
    for (let i = 0; i < this.freeCount; i++) sum += this.freeSize[i];
    return sum;
  }

  /** Allocates `floats` at the start of the largest free range (so the rest can be returned by shrink). */
  allocInLargest(floats: number): number {
    let best = -1;
    for (let i = 0; i < this.freeCount; i++) {
      if (this.freeSize[i] >= floats && (best < 0 || this.freeSize[i] > this.freeSize[best])) best = i;
    }
    if (best < 0) return -1;
    const at = this.freeStart[best];
    this.freeStart[best] += floats;
    this.freeSize[best] -= floats;
    if (this.freeSize[best] === 0) this.removeRange(best);
    return at;
  }

  /** Returns the tail of a region [offset, offset+size) beyond newSize to the free list. */
  shrink(offset: number, size: number, newSize: number): void {
    if (newSize < size) this.free(offset + newSize, size - newSize);
  }

  free(offset: number, floats: number): void {
    if (floats <= 0) return;
    // find insertion point (ranges sorted by start), then coalesce with neighbours
    let i = 0;
    while (i < this.freeCount && this.freeStart[i] < offset) i++;
    const joinsPrev = i > 0 && this.freeStart[i - 1] + this.freeSize[i - 1] === offset;
    const joinsNext = i < this.freeCount && offset + floats === this.freeStart[i];
    if (joinsPrev && joinsNext) {
      this.freeSize[i - 1] += floats + this.freeSize[i];
      this.removeRange(i);
    } else if (joinsPrev) {
      this.freeSize[i - 1] += floats;
    } else if (joinsNext) {
      this.freeStart[i] = offset;
      this.freeSize[i] += floats;
    } else {
      if (this.freeCount === MAX_FREE_RANGES) return; // fragmented beyond reason: leak this range rather than allocate
      this.freeStart.copyWithin(i + 1, i, this.freeCount);
      this.freeSize.copyWithin(i + 1, i, this.freeCount);
      this.freeStart[i] = offset;
      this.freeSize[i] = floats;
      this.freeCount++;
    }
  }

  private removeRange(i: number): void {
    this.freeStart.copyWithin(i, i + 1, this.freeCount);
    this.freeSize.copyWithin(i, i + 1, this.freeCount);
    this.freeCount--;
  }
}

/** A fixed-size Wasm memory of at least `bytes`, or null (no WebAssembly, or more than it can map). */
function wasmMemory(bytes: number): WebAssembly.Memory | null {
  if (typeof WebAssembly !== 'object') return null;
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch {
    return null;
  }
}
