// The per-block DSP kernels in plain JavaScript: the fallback where WebAssembly SIMD is missing, and the
// reference the AssemblyScript kernels (lib/dsp/assembly/kernels.ts) are checked against, bit for bit
// (test/dsp/kernels.test.ts). Called only from Engine.process() (the real-time side), through the
// bindings of lib/dsp/index.ts; none of them allocates.
//
// Contract shared with the WebAssembly kernels: every buffer is a range of one Float32 memory `m` (the
// arena), addressed by float offsets; audio is interleaved stereo; lengths and positions are in frames.
// The Wasm twin takes the same arguments without the memory views (its memory is the arena).
// Offsets, lengths and positions are int32 (coerced on entry: a double-typed index costs a conversion
// per access in V8, and Wasm takes i32). Float arguments (gains, feedback, weights) are not parameters:
// the caller stores them in the arena's argument block, m[0..KERNEL_ARGS_FLOATS) (lib/dsp/index.ts),
// in the order each kernel's comment lists them, so they are float32 already and every call passes
// int32s only: V8 boxes a double argument into a new HeapNumber whenever it does not inline the call,
// which would allocate on the real-time side. Arithmetic is float32, one rounding per operation and in
// a fixed order (Math.fround on every product), so a SIMD f32x4 kernel doing the same operations
// produces the same bits.
//
// Peak meters compare samples by their float bits shifted left by one (the sign shifted out), as
// unsigned integers: that orders them like |x|, with a NaN above infinity, so the maximum is exact and
// the same in any order (the SIMD twin keeps one per lane and folds them), and a NaN sample shows as a
// NaN peak (LevelMeter's comparison skips it). Those kernels read the bits through `u`, a Uint32Array
// over the same bytes as `m`.

const f = Math.fround;

/** m[dst .. dst+2n) = 0 */
export function zero(m: Float32Array, dst: number, frames: number): void {
  dst |= 0; frames |= 0;
  m.fill(0, dst, dst + frames * 2);
}

/**
 * bus += loop (read from position pos, wrapping at len) * (gl, gr). A loop shorter than the block wraps
 * many times. Arguments: [gl, gr].
 */
export function mixLoop(m: Float32Array, bus: number, frames: number, loop: number, len: number, pos: number): void {
  bus |= 0; frames |= 0; loop |= 0; len |= 0; pos |= 0;
  const gl = m[0];
  const gr = m[1];
  let b = bus;
  let left = frames;
  while (left > 0) {
    const run = Math.min(left, len - pos);
    let s = loop + pos * 2;
    const end = b + run * 2;
    while (b < end) {
      m[b] += f(m[s] * gl);
      m[b + 1] += f(m[s + 1] * gr);
      b += 2;
      s += 2;
    }
    left -= run;
    pos = 0;
  }
}

/**
 * Like mixLoop with a linear gain ramp: frame k (0-based) of this call gets gain
 * start + step * (k0 + k + 1), where k0 is how many ramp frames earlier calls already rendered.
 * Arguments: [startL, startR, stepL, stepR].
 */
export function mixLoopRamp(
  m: Float32Array, bus: number, frames: number, loop: number, len: number, pos: number, k0: number,
): void {
  bus |= 0; frames |= 0; loop |= 0; len |= 0; pos |= 0; k0 |= 0;
  const startL = m[0];
  const startR = m[1];
  const stepL = m[2];
  const stepR = m[3];
  let b = bus;
  let k = k0 + 1;
  let left = frames;
  while (left > 0) {
    const run = Math.min(left, len - pos);
    let s = loop + pos * 2;
    const end = b + run * 2;
    while (b < end) {
      const kf = f(k);
      m[b] += f(m[s] * f(startL + f(stepL * kf)));
      m[b + 1] += f(m[s + 1] * f(startR + f(stepR * kf)));
      b += 2;
      s += 2;
      k++;
    }
    left -= run;
    pos = 0;
  }
}

/** dst += src * g over n frames (a stem or the click into the mix, the click into its bus). Arguments: [g]. */
export function addScaled(m: Float32Array, dst: number, src: number, frames: number): void {
  dst |= 0; src |= 0; frames |= 0;
  const g = m[0];
  const end = dst + frames * 2;
  for (let d = dst, s = src; d < end; d++, s++) m[d] += f(m[s] * g);
}

/**
 * dst = src * g over n frames (the monitored input starts the mix), and src's peak per channel into
 * m[meter..+1] (max with |what is there|). Arguments: [g].
 */
export function monitorIn(
  m: Float32Array, u: Uint32Array, dst: number, src: number, frames: number, meter: number,
): void {
  dst |= 0; src |= 0; frames |= 0; meter |= 0;
  const g = m[0];
  let pl = peakBits(u, meter, 0);
  let pr = peakBits(u, meter + 1, 0);
  const end = dst + frames * 2;
  for (let d = dst, s = src; d < end; d += 2, s += 2) {
    // + 0 turns the -0 of a negative sample times a gain of 0 into +0: silence is all-zero bits
    m[d] = f(m[s] * g) + 0;
    m[d + 1] = f(m[s + 1] * g) + 0;
    pl = peakBits(u, s, pl);
    pr = peakBits(u, s + 1, pr);
  }
  u[meter] = pl >>> 1;
  u[meter + 1] = pr >>> 1;
}

/** max(p, the bits of float i shifted left by one), unsigned (i32x4.max_u of i32x4.shl in the Wasm twin) */
function peakBits(u: Uint32Array, i: number, p: number): number {
  const a = (u[i] << 1) >>> 0;
  return a > p ? a : p;
}

/**
 * Overdub: loop[p] = loop[p] * (1 - w * (1 - feedback)) + input * w for each frame, p wrapping at len.
 * w ramps linearly: frame k gets w = w0 + dw * (k0 + k + 1), or w0 throughout when dw is 0.
 * Arguments: [feedback, w0, dw].
 */
export function overdub(
  m: Float32Array, loop: number, len: number, pos: number, input: number, frames: number, k0: number,
): void {
  loop |= 0; len |= 0; pos |= 0; input |= 0; frames |= 0; k0 |= 0;
  const feedback = m[0];
  const w0 = m[1];
  const dw = m[2];
  const loss = f(1 - feedback);
  let i = input;
  let k = k0 + 1;
  let left = frames;
  while (left > 0) {
    const run = Math.min(left, len - pos);
    let p = loop + pos * 2;
    const end = p + run * 2;
    while (p < end) {
      const w = dw === 0 ? w0 : f(w0 + f(dw * f(k)));
      const keep = f(1 - f(w * loss));
      m[p] = f(m[p] * keep) + f(m[i] * w);
      m[p + 1] = f(m[p + 1] * keep) + f(m[i + 1] * w);
      p += 2;
      i += 2;
      k++;
    }
    left -= run;
    pos = 0;
  }
}

/**
 * Crossfades the last n frames of a loop into its pre-roll, so the wrap from the loop's end to its start
 * is continuous: loop[len-n+q] = loop[len-n+q] * (1 - fade(q)) + preroll[q] * fade(q), with
 * fade(q) = 0.5 - 0.5 * cos(pi * (q + 1) / (n + 1)) read from the table at `fade` (n values).
 */
export function crossfadeInto(m: Float32Array, dst: number, preroll: number, fade: number, frames: number): void {
  dst |= 0; preroll |= 0; fade |= 0; frames |= 0;
  for (let q = 0; q < frames; q++) {
    const fi = m[fade + q];
    const fo = f(1 - fi);
    const d = dst + q * 2;
    const p = preroll + q * 2;
    m[d] = f(m[d] * fo) + f(m[p] * fi);
    m[d + 1] = f(m[d + 1] * fo) + f(m[p + 1] * fi);
  }
}

/**
 * Master gain and limiter, in place, and the output peak per channel into m[meter], m[meter+1] (max with
 * |what is there|). clamp: hard clip at +-1. soft: above 0.8 a rational curve that approaches 1.
 * Arguments: [gain].
 */
export function masterOut(
  m: Float32Array, u: Uint32Array, buf: number, frames: number, soft: boolean, meter: number,
): void {
  buf |= 0; frames |= 0; meter |= 0;
  const gain = m[0];
  const knee = f(0.8);
  const room = f(1 - knee);
  let pl = peakBits(u, meter, 0);
  let pr = peakBits(u, meter + 1, 0);
  const end = buf + frames * 2;
  for (let i = buf; i < end; i += 2) {
    m[i] = limit(f(m[i] * gain), soft, knee, room);
    m[i + 1] = limit(f(m[i + 1] * gain), soft, knee, room);
    pl = peakBits(u, i, pl);
    pr = peakBits(u, i + 1, pr);
  }
  u[meter] = pl >>> 1;
  u[meter + 1] = pr >>> 1;
}

function limit(v: number, soft: boolean, knee: number, room: number): number {
  if (soft) {
    const a = Math.abs(v);
    if (a <= knee) return v;
    const d = f(f(a - knee) / room);
    const y = f(knee + f(room * f(d / f(1 + d))));
    return v < 0 ? -y : y;
  }
  return v > 1 ? 1 : v < -1 ? -1 : v;
}

/**
 * Float to int16 at the device boundary: scale by 32767, clamp, truncate toward zero; NaN -> 0.
 * Writes 2n int16 into the arena at float offset dst (n floats hold them); m16 is an Int16Array over
 * the same bytes as m (int16 index = float index * 2).
 */
export function toInt16(m: Float32Array, m16: Int16Array, src: number, frames: number, dst: number): void {
  src |= 0; frames |= 0; dst |= 0;
  const n = frames * 2;
  const o = dst * 2;
  for (let i = 0; i < n; i++) {
    let v = f(m[src + i] * 32767);
    if (v > 32767) v = 32767;
    else if (v < -32768) v = -32768;
    m16[o + i] = v | 0;
  }
}

/** int16 from the device (2n of them at float offset src, read through m16 as in toInt16) into the arena as float: x / 32768. */
export function fromInt16(m: Float32Array, m16: Int16Array, src: number, dst: number, frames: number): void {
  src |= 0; dst |= 0; frames |= 0;
  const n = frames * 2;
  const o = src * 2;
  for (let i = 0; i < n; i++) m[dst + i] = f(m16[o + i] / 32768);
}

/**
 * Two channels of an interleaved `channels`-channel buffer into a stereo bus (a track's input source):
 * dst[2i] = src[i * channels + left], dst[2i + 1] = src[i * channels + right]; left = right puts a mono
 * channel on both sides. A copy, no arithmetic.
 */
export function extractPair(m: Float32Array, dst: number, src: number, frames: number, channels: number, left: number, right: number): void {
  dst |= 0; src |= 0; frames |= 0; channels |= 0; left |= 0; right |= 0;
  let s = src;
  const end = dst + frames * 2;
  for (let d = dst; d < end; d += 2, s += channels) {
    m[d] = m[s + left];
    m[d + 1] = m[s + right];
  }
}

/**
 * A stereo bus into two adjacent channels of an interleaved `channels`-channel buffer (an output bus
 * onto the device's channels): dst[i * channels + first] = src[2i], dst[i * channels + first + 1] =
 * src[2i + 1]. A copy, no arithmetic.
 */
export function insertPair(m: Float32Array, dst: number, src: number, frames: number, channels: number, first: number): void {
  dst |= 0; src |= 0; frames |= 0; channels |= 0; first |= 0;
  let d = dst + first;
  const end = src + frames * 2;
  for (let s = src; s < end; s += 2, d += channels) {
    m[d] = m[s];
    m[d + 1] = m[s + 1];
  }
}

/** The peak of each channel of an interleaved `channels`-channel buffer into m[meter .. meter+channels) (max with |what is there|). */
export function channelPeaks(u: Uint32Array, src: number, frames: number, channels: number, meter: number): void {
  src |= 0; frames |= 0; channels |= 0; meter |= 0;
  for (let c = 0; c < channels; c++) {
    let p = peakBits(u, meter + c, 0);
    const end = src + frames * channels;
    for (let s = src + c; s < end; s += channels) p = peakBits(u, s, p);
    u[meter + c] = p >>> 1;
  }
}

/**
 * Levels of a loop segment as a voice reads it (a track's meter): the peak per channel into m[meter],
 * m[meter+1] (max with |what is there|) and the sum of squares per channel added to m[meter+2],
 * m[meter+3], frame by frame in order (float32, one rounding per operation), pos wrapping at len.
 */
export function loopLevels(m: Float32Array, u: Uint32Array, loop: number, len: number, pos: number, frames: number, meter: number): void {
  loop |= 0; len |= 0; pos |= 0; frames |= 0; meter |= 0;
  let pl = peakBits(u, meter, 0);
  let pr = peakBits(u, meter + 1, 0);
  let sl = m[meter + 2];
  let sr = m[meter + 3];
  let left = frames;
  while (left > 0) {
    const run = Math.min(left, len - pos);
    const end = loop + (pos + run) * 2;
    for (let s = loop + pos * 2; s < end; s += 2) {
      const l = m[s];
      const r = m[s + 1];
      sl = f(sl + f(l * l));
      sr = f(sr + f(r * r));
      pl = peakBits(u, s, pl);
      pr = peakBits(u, s + 1, pr);
    }
    left -= run;
    pos = 0;
  }
  u[meter] = pl >>> 1;
  u[meter + 1] = pr >>> 1;
  m[meter + 2] = sl;
  m[meter + 3] = sr;
}
