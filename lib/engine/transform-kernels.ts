// Loop transforms that write a new layer from the current one (reverse, half and double speed), in
// plain JavaScript on the arena, whichever DSP backend mixes: they run once per transform, not per
// block, so they need no WebAssembly twin and give the same bits under LOOPSTATION_DSP=js and wasm.
// Real-time side (called from Engine.process() at the command's frame), allocation-free; the cost is
// one pass over the loop (bench/osc-midi.ts times it). Interleaved stereo, lengths in frames, float32
// arithmetic rounded per operation as in lib/dsp/kernels.ts.

const f = Math.fround;
const HALF = f(0.5);

/** dst[i] = src[len - 1 - i]: the loop backwards. */
export function reverseLoop(m: Float32Array, src: number, len: number, dst: number): void {
  for (let i = 0; i < len; i++) {
    const s = src + (len - 1 - i) * 2;
    m[dst + i * 2] = m[s];
    m[dst + i * 2 + 1] = m[s + 1];
  }
}

/**
 * Half speed, an octave down: 2 * len frames, dst[2i] = src[i] and dst[2i+1] = (src[i] + src[i+1]) / 2
 * (linear interpolation, wrapping at the loop's end so the seam stays continuous).
 */
export function halfSpeedLoop(m: Float32Array, src: number, len: number, dst: number): void {
  for (let i = 0; i < len; i++) {
    const a = src + i * 2;
    const b = src + ((i + 1) % len) * 2;
    const d = dst + i * 4;
    m[d] = m[a];
    m[d + 1] = m[a + 1];
    m[d + 2] = f(f(m[a] + m[b]) * HALF);
    m[d + 3] = f(f(m[a + 1] + m[b + 1]) * HALF);
  }
}

/**
 * Double speed, an octave up: floor(len / 2) frames, dst[i] = (src[2i] + src[2i+1]) / 2 (the mean of
 * each pair: a two-tap low-pass before dropping every other frame, so less aliasing than a plain skip).
 */
export function doubleSpeedLoop(m: Float32Array, src: number, len: number, dst: number): void {
  const n = len >> 1;
  for (let i = 0; i < n; i++) {
    const a = src + i * 4;
    m[dst + i * 2] = f(f(m[a] + m[a + 2]) * HALF);
    m[dst + i * 2 + 1] = f(f(m[a + 1] + m[a + 3]) * HALF);
  }
}

/**
 * Multiply's write side: copies `frames` frames of the old loop (len frames at `src`, starting at loop
 * position pos, wrapping) into the growing layer at dst, before the input is overdubbed onto them.
 */
export function tileLoop(m: Float32Array, src: number, len: number, pos: number, dst: number, frames: number): void {
  let d = dst;
  let p = pos;
  let left = frames;
  while (left > 0) {
    const run = Math.min(left, len - p);
    m.copyWithin(d, src + p * 2, src + (p + run) * 2);
    d += run * 2;
    left -= run;
    p = 0;
  }
}
