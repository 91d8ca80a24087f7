import { readFileSync } from 'fs';
import { join } from 'path';
import * as js from './kernels';

// Chooses the DSP kernels for an arena: the WebAssembly SIMD build of lib/dsp/assembly/kernels.ts
// (dist/lib/dsp/kernels.wasm) where this runtime validates it, else the JS kernels of ./kernels.ts,
// which give the same bits. LOOPSTATION_DSP=js|wasm|auto (or the `choice` argument) forces one; a
// forced `wasm` that cannot run throws instead of quietly falling back.
//
// Control side: bindKernels() runs once, in the Engine constructor; it compiles the module on first
// use and instantiates it on the arena's memory. The Kernels it returns are called from process()
// (the real-time side) with no dispatch per call and allocate nothing.

export type DspBackend = 'js' | 'wasm';

/**
 * Floats 0..KERNEL_ARGS_FLOATS-1 of every arena are the kernels' argument block (the Arena keeps them out
 * of its free list): a caller stores a kernel's float arguments there (Kernels.args), in the order the
 * kernel's comment lists them, then calls it with int32s only. V8 passes those without allocating, even
 * where it does not inline the call (a megamorphic call site, a spent inlining budget); a double
 * argument would be boxed into a new HeapNumber on every such call.
 */
export const KERNEL_ARGS_FLOATS = 4;

/**
 * The per-block kernels bound to one arena, with the signatures of ./kernels.ts minus its memory views:
 * each the exported function of kernels.wasm itself, or the JS kernel bound to the arena.
 */
export interface Kernels {
  readonly backend: DspBackend;
  /** the argument block: the float arguments of the next call */
  readonly args: Float32Array;
  zero(dst: number, frames: number): void;
  /** args: [gl, gr] */
  mixLoop(bus: number, frames: number, loop: number, len: number, pos: number): void;
  /** args: [startL, startR, stepL, stepR] */
  mixLoopRamp(bus: number, frames: number, loop: number, len: number, pos: number, k0: number): void;
  /** args: [g] */
  addScaled(dst: number, src: number, frames: number): void;
  /** args: [g] */
  monitorIn(dst: number, src: number, frames: number, meter: number): void;
  /** args: [feedback, w0, dw] */
  overdub(loop: number, len: number, pos: number, input: number, frames: number, k0: number): void;
  crossfadeInto(dst: number, preroll: number, fade: number, frames: number): void;
  /** args: [gain] */
  masterOut(buf: number, frames: number, soft: boolean, meter: number): void;
  /** 2n int16 at float offset dst (see ./kernels.ts) */
  toInt16(src: number, frames: number, dst: number): void;
  fromInt16(src: number, dst: number, frames: number): void;
  extractPair(dst: number, src: number, frames: number, channels: number, left: number, right: number): void;
  insertPair(dst: number, src: number, frames: number, channels: number, first: number): void;
  channelPeaks(src: number, frames: number, channels: number, meter: number): void;
  loopLevels(loop: number, len: number, pos: number, frames: number, meter: number): void;
}

const WASM_FILE = join(__dirname, 'kernels.wasm');

/** The compiled kernel module, or why there is none; compiled once per process, on first use. */
let compiled: WebAssembly.Module | string | undefined;

function kernelModule(): WebAssembly.Module | string {
  if (compiled === undefined) {
    try {
      const bytes = readFileSync(WASM_FILE);
      // the module uses f32x4 throughout: validating it is the SIMD feature test
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : 'this runtime has no WebAssembly SIMD';
    } catch (err) {
      compiled = typeof WebAssembly !== 'object' ? 'this runtime has no WebAssembly' : `${WASM_FILE}: ${(err as Error).message}`;
    }
  }
  return compiled;
}

/** Why the Wasm kernels cannot run on this arena, or null when they can. */
function wasmUnavailable(memory: Float32Array, wasmMemory: WebAssembly.Memory | null): string | null {
  const mod = kernelModule();
  if (typeof mod === 'string') return mod;
  if (wasmMemory === null || memory.buffer !== wasmMemory.buffer || memory.byteOffset !== 0) {
    return 'the arena is not a WebAssembly.Memory';
  }
  return null;
}

/**
 * Binds the kernels to an arena (`memory`, a view from byte 0 of `wasmMemory` when that is not null,
 * whose first KERNEL_ARGS_FLOATS floats nothing else uses).
 * choice: 'wasm', 'js' or 'auto' (default: $LOOPSTATION_DSP, else auto = wasm when it can run).
 * Throws a RangeError for an unknown choice, or when 'wasm' is forced and cannot run.
 */
export function bindKernels(
  memory: Float32Array, wasmMemory: WebAssembly.Memory | null, choice = process.env.LOOPSTATION_DSP || 'auto',
): Kernels {
  if (choice !== 'auto' && choice !== 'js' && choice !== 'wasm') {
    throw new RangeError(`LOOPSTATION_DSP must be js, wasm or auto, not "${choice}"`);
  }
  if (choice === 'js') return bindJs(memory);
  const why = wasmUnavailable(memory, wasmMemory);
  if (why === null) return bindWasm(kernelModule() as WebAssembly.Module, wasmMemory as WebAssembly.Memory, memory);
  if (choice === 'wasm') throw new RangeError(`LOOPSTATION_DSP=wasm: ${why}`);
  return bindJs(memory);
}

// Both bindings build objects of the same shape (same keys, same order), so the engine's property
// loads stay monomorphic whichever backend runs.

type KernelFunctions = Omit<Kernels, 'backend' | 'args'>;

function bindWasm(mod: WebAssembly.Module, memory: WebAssembly.Memory, m: Float32Array): Kernels {
  const k = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as KernelFunctions;
  return {
    backend: 'wasm',
    args: m.subarray(0, KERNEL_ARGS_FLOATS),
    zero: k.zero,
    mixLoop: k.mixLoop,
    mixLoopRamp: k.mixLoopRamp,
    addScaled: k.addScaled,
    monitorIn: k.monitorIn,
    overdub: k.overdub,
    crossfadeInto: k.crossfadeInto,
    masterOut: k.masterOut,
    toInt16: k.toInt16,
    fromInt16: k.fromInt16,
    extractPair: k.extractPair,
    insertPair: k.insertPair,
    channelPeaks: k.channelPeaks,
    loopLevels: k.loopLevels,
  };
}

function bindJs(m: Float32Array): Kernels {
  const m16 = new Int16Array(m.buffer, m.byteOffset, m.length * 2);
  const u = new Uint32Array(m.buffer, m.byteOffset, m.length);
  return {
    backend: 'js',
    args: m.subarray(0, KERNEL_ARGS_FLOATS),
    zero: (dst, frames) => js.zero(m, dst, frames),
    mixLoop: (bus, frames, loop, len, pos) => js.mixLoop(m, bus, frames, loop, len, pos),
    mixLoopRamp: (bus, frames, loop, len, pos, k0) => js.mixLoopRamp(m, bus, frames, loop, len, pos, k0),
    addScaled: (dst, src, frames) => js.addScaled(m, dst, src, frames),
    monitorIn: (dst, src, frames, meter) => js.monitorIn(m, u, dst, src, frames, meter),
    overdub: (loop, len, pos, input, frames, k0) => js.overdub(m, loop, len, pos, input, frames, k0),
    crossfadeInto: (dst, preroll, fade, frames) => js.crossfadeInto(m, dst, preroll, fade, frames),
    masterOut: (buf, frames, soft, meter) => js.masterOut(m, u, buf, frames, soft, meter),
    toInt16: (src, frames, dst) => js.toInt16(m, m16, src, frames, dst),
    fromInt16: (src, dst, frames) => js.fromInt16(m, m16, src, dst, frames),
    extractPair: (dst, src, frames, channels, left, right) => js.extractPair(m, dst, src, frames, channels, left, right),
    insertPair: (dst, src, frames, channels, first) => js.insertPair(m, dst, src, frames, channels, first),
    channelPeaks: (src, frames, channels, meter) => js.channelPeaks(u, src, frames, channels, meter),
    loopLevels: (loop, len, pos, frames, meter) => js.loopLevels(m, u, loop, len, pos, frames, meter),
  };
}
