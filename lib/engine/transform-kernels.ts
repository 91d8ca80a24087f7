// Loop transforms that write a new layer from the current one (reverse, half and double speed), in
// plain JavaScript on the arena, whichever DSP backend mixes, so they give the same bits under
// LOOPSTATION_DSP=js and wasm. They fill a range of the new layer: the engine fills a chunk per block
// just ahead of where the new layer plays (see Transforms.start), so a long loop never costs one block
// more than a chunk. Real-time side, allocation-free. Interleaved stereo; lengths and positions in
// frames; float32 arithmetic rounded per operation as in lib/dsp/kernels.ts.

const f = Math.fround;
const HALF = f(0.5);

/** dst[j] = src[len - 1 - j] for j in [j0, j0 + n): the loop backwards. */
export function reverseRange(m: Float32Array, src: number, len: number, dst: number, j0: number, n: number): void {
  let s = src + (len - 1 - j0) * 2;
  let d = dst + j0 * 2;
  const end = d + n * 2;
  while (d < end) {
    m[d] = m[s];
    m[d + 1] = m[s + 1];
    d += 2;
    s -= 2;
  }
}

/**
 * Half speed, an octave down (a layer of 2 * len frames), for j in [j0, j0 + n): dst[2i] = src[i] and
 * dst[2i+1] = (src[i] + src[i+1]) / 2, linear interpolation that wraps at the loop's end so the seam
 * stays continuous.
 */
export function halfSpeedRange(m: Float32Array, src: number, len: number, dst: number, j0: number, n: number): void {
  for (let j = j0; j < j0 + n; j++) {
    const a = src + (j >> 1) * 2;
    const d = dst + j * 2;
    if ((j & 1) === 0) {
      m[d] = m[a];
      m[d + 1] = m[a + 1];
    } else {
      const b = (j >> 1) + 1 === len ? src : a + 2;
      m[d] = f(f(m[a] + m[b]) * HALF);
      m[d + 1] = f(f(m[a + 1] + m[b + 1]) * HALF);
    }
  }
}

/**
 * Double speed, an octave up (a layer of floor(len / 2) frames), for j in [j0, j0 + n):
 * dst[j] = (src[2j] + src[2j+1]) / 2, the mean of each pair: a two-tap low-pass before dropping every
 * other frame, so less aliasing than a plain skip.
 */
export function doubleSpeedRange(m: Float32Array, src: number, dst: number, j0: number, n: number): void {
  let a = src + j0 * 4;
  let d = dst + j0 * 2;
  const end = d + n * 2;
  while (d < end) {
    m[d] = f(f(m[a] + m[a + 2]) * HALF);
    m[d + 1] = f(f(m[a + 1] + m[a + 3]) * HALF);
    a += 4;
    d += 2;
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
