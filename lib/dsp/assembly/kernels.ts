// The per-block DSP kernels in AssemblyScript, compiled by `npm run build` (scripts/build.js) to
// dist/lib/dsp/kernels.wasm with f32x4 SIMD. They are the twins of lib/dsp/kernels.ts: the same
// arguments (minus `m`, which is this module's imported linear memory, the engine's arena; the float
// ones through the argument block, below), the same float32 operations in the same order, one rounding
// each and no fused multiply-add, so both give the same bits; test/dsp/kernels.test.ts checks that
// sample by sample.
//
// Called only from Engine.process() (the real-time side), through lib/dsp/index.ts. Nothing here
// allocates: there is no heap and no runtime, only loads and stores into the arena.
//
// Addresses: arguments are float offsets into the arena (int32); a float offset x is byte x * 4.
// Audio is interleaved stereo, so one v128 holds two frames [L0, R0, L1, R1]; a run with an odd number
// of frames finishes its last frame with scalar f32 arithmetic, which rounds exactly like a lane. The
// hot loops do 8 frames per iteration: V8 compiles each Wasm loop iteration with a stack check and
// peels at most one copy, so longer iterations cut that overhead (measured: 10-20% per kernel).
//
// Float arguments (gains, feedback, weights) are not parameters, here or in the JS twin: the caller
// stores them in the arena's argument block (floats 0..KERNEL_ARGS_FLOATS-1, lib/dsp/index.ts), in the
// order each kernel's comment lists them, and they are read from there. Every parameter is then an
// int32, which V8 passes without allocating even where it does not inline the call (a megamorphic call
// site: a second engine, so a second instance, in the process); a double argument would be boxed into
// a new HeapNumber on every such call.

/** byte address of float offset x */
// @ts-ignore: decorator
@inline function at(x: i32): usize {
  return <usize>x << 2;
}

/** float argument i, from the argument block at the start of the arena */
// @ts-ignore: decorator
@inline function arg(i: i32): f32 {
  return load<f32>(<usize>i << 2);
}

/** float arguments i and i+1 as [a_i, a_i+1, a_i, a_i+1] (a left/right pair for two frames), one load */
// @ts-ignore: decorator
@inline function argPair(i: i32): v128 {
  return v128.load64_splat(<usize>i << 2);
}

/** m[dst .. dst+2n) = 0 */
export function zero(dst: i32, frames: i32): void {
  memory.fill(at(dst), 0, <usize>frames << 3);
}

/**
 * bus += loop (read from position pos, wrapping at len) * (gl, gr). A loop shorter than the block wraps
 * many times. Arguments: [gl, gr].
 */
export function mixLoop(bus: i32, frames: i32, loop: i32, len: i32, pos: i32): void {
  const gl = arg(0);
  const gr = arg(1);
  const g = argPair(0);
  let b = at(bus);
  let left = frames;
  while (left > 0) {
    const run = min(left, len - pos);
    let s = at(loop + pos * 2);
    const eights = b + (<usize>(run >> 3) << 6);
    while (b < eights) {
      const x0 = f32x4.add(v128.load(b), f32x4.mul(v128.load(s), g));
      const x1 = f32x4.add(v128.load(b, 16), f32x4.mul(v128.load(s, 16), g));
      const x2 = f32x4.add(v128.load(b, 32), f32x4.mul(v128.load(s, 32), g));
      const x3 = f32x4.add(v128.load(b, 48), f32x4.mul(v128.load(s, 48), g));
      v128.store(b, x0);
      v128.store(b, x1, 16);
      v128.store(b, x2, 32);
      v128.store(b, x3, 48);
      b += 64;
      s += 64;
    }
    const pairs = b + (<usize>((run >> 1) & 3) << 4);
    while (b < pairs) {
      v128.store(b, f32x4.add(v128.load(b), f32x4.mul(v128.load(s), g)));
      b += 16;
      s += 16;
    }
    if (run & 1) {
      store<f32>(b, load<f32>(b) + load<f32>(s) * gl);
      store<f32>(b, load<f32>(b, 4) + load<f32>(s, 4) * gr, 4);
      b += 8;
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
export function mixLoopRamp(bus: i32, frames: i32, loop: i32, len: i32, pos: i32, k0: i32): void {
  const startL = arg(0);
  const startR = arg(1);
  const stepL = arg(2);
  const stepR = arg(3);
  const start = argPair(0);
  const step = argPair(2);
  let k = k0 + 1;
  let b = at(bus);
  let left = frames;
  while (left > 0) {
    const run = min(left, len - pos);
    let s = at(loop + pos * 2);
    const pairs = b + (<usize>(run >> 1) << 4);
    let kv = i32x4(k, k, k + 1, k + 1);
    while (b < pairs) {
      const g = f32x4.add(start, f32x4.mul(step, f32x4.convert_i32x4_s(kv)));
      v128.store(b, f32x4.add(v128.load(b), f32x4.mul(v128.load(s), g)));
      kv = i32x4.add(kv, i32x4.splat(2));
      b += 16;
      s += 16;
    }
    k += run & ~1;
    if (run & 1) {
      const kf = <f32>k;
      store<f32>(b, load<f32>(b) + load<f32>(s) * (startL + stepL * kf));
      store<f32>(b, load<f32>(b, 4) + load<f32>(s, 4) * (startR + stepR * kf), 4);
      b += 8;
      k++;
    }
    left -= run;
    pos = 0;
  }
}

/** dst += src * g over n frames (a stem or the click into the mix, the click into its bus). Arguments: [g]. */
export function addScaled(dst: i32, src: i32, frames: i32): void {
  const g = arg(0);
  const gv = f32x4.splat(g);
  let d = at(dst);
  let s = at(src);
  const pairs = d + (<usize>(frames >> 1) << 4);
  while (d < pairs) {
    v128.store(d, f32x4.add(v128.load(d), f32x4.mul(v128.load(s), gv)));
    d += 16;
    s += 16;
  }
  if (frames & 1) {
    store<f32>(d, load<f32>(d) + load<f32>(s) * g);
    store<f32>(d, load<f32>(d, 4) + load<f32>(s, 4) * g, 4);
  }
}

/**
 * The running peak of |x| per lane, on the float bits shifted left by one (the sign out): as unsigned
 * integers these order like |x| (a NaN above infinity), so i32x4.max_u keeps the peak exactly, in any
 * order, in two instructions and no constant.
 */
// @ts-ignore: decorator
@inline function peak(p: v128, x: v128): v128 {
  return i32x4.max_u(p, i32x4.shl(x, 1));
}

/** The peak state of the meter at address mp: its value's bits shifted left by one, in every lane. */
// @ts-ignore: decorator
@inline function loadPeaks(mp: usize): v128 {
  return i32x4.shl(v128.load64_splat(mp), 1);
}

/** Folds a [L, R, L, R] peak state and stores it, as |peak|, at m[meter], m[meter+1]. */
// @ts-ignore: decorator
@inline function storePeaks(mp: usize, p: v128): void {
  v128.store64_lane(mp, i32x4.shr_u(i32x4.max_u(p, v128.shuffle<u32>(p, p, 2, 3, 0, 1)), 1), 0);
}

/** Scalar form of peak() on one meter value at address a, for the last frame of an odd run. */
// @ts-ignore: decorator
@inline function peak1(a: usize, x: f32): void {
  store<u32>(a, max(load<u32>(a) << 1, reinterpret<u32>(x) << 1) >> 1);
}

/**
 * dst = src * g over n frames (the monitored input starts the mix), and src's peak per channel into
 * m[meter..+1] (max with |what is there|). Arguments: [g].
 */
export function monitorIn(dst: i32, src: i32, frames: i32, meter: i32): void {
  const g = arg(0);
  const gv = f32x4.splat(g);
  const zero = f32x4.splat(0);
  const mp = at(meter);
  let p = loadPeaks(mp);
  let q = p;
  let d = at(dst);
  let s = at(src);
  const eights = d + (<usize>(frames >> 3) << 6);
  while (d < eights) {
    const x0 = v128.load(s);
    const x1 = v128.load(s, 16);
    const x2 = v128.load(s, 32);
    const x3 = v128.load(s, 48);
    v128.store(d, f32x4.add(f32x4.mul(x0, gv), zero));
    v128.store(d, f32x4.add(f32x4.mul(x1, gv), zero), 16);
    v128.store(d, f32x4.add(f32x4.mul(x2, gv), zero), 32);
    v128.store(d, f32x4.add(f32x4.mul(x3, gv), zero), 48);
    p = peak(peak(p, x0), x2);
    q = peak(peak(q, x1), x3);
    d += 64;
    s += 64;
  }
  const pairs = d + (<usize>((frames >> 1) & 3) << 4);
  while (d < pairs) {
    const x = v128.load(s);
    v128.store(d, f32x4.add(f32x4.mul(x, gv), zero));
    p = peak(p, x);
    d += 16;
    s += 16;
  }
  storePeaks(mp, i32x4.max_u(p, q));
  if (frames & 1) {
    const l = load<f32>(s);
    const r = load<f32>(s, 4);
    store<f32>(d, l * g + 0);
    store<f32>(d, r * g + 0, 4);
    peak1(mp, l);
    peak1(mp + 4, r);
  }
}

/**
 * Overdub: loop[p] = loop[p] * (1 - w * (1 - feedback)) + input * w for each frame, p wrapping at len.
 * w ramps linearly: frame k gets w = w0 + dw * (k0 + k + 1), or w0 throughout when dw is 0.
 * Arguments: [feedback, w0, dw].
 */
export function overdub(loop: i32, len: i32, pos: i32, input: i32, frames: i32, k0: i32): void {
  const feedback = arg(0);
  const w0 = arg(1);
  const dw = arg(2);
  const loss: f32 = 1 - feedback;
  const one = f32x4.splat(1);
  const lossv = f32x4.splat(loss);
  const w0v = f32x4.splat(w0);
  const dwv = f32x4.splat(dw);
  const ramp = dw != 0;
  let i = at(input);
  let k = k0 + 1;
  let left = frames;
  while (left > 0) {
    const run = min(left, len - pos);
    let p = at(loop + pos * 2);
    const pairs = p + (<usize>(run >> 1) << 4);
    let kv = i32x4(k, k, k + 1, k + 1);
    while (p < pairs) {
      const w = ramp ? f32x4.add(w0v, f32x4.mul(dwv, f32x4.convert_i32x4_s(kv))) : w0v;
      const keep = f32x4.sub(one, f32x4.mul(w, lossv));
      v128.store(p, f32x4.add(f32x4.mul(v128.load(p), keep), f32x4.mul(v128.load(i), w)));
      kv = i32x4.add(kv, i32x4.splat(2));
      p += 16;
      i += 16;
    }
    k += run & ~1;
    if (run & 1) {
      const w: f32 = ramp ? w0 + dw * <f32>k : w0;
      const keep: f32 = 1 - w * loss;
      store<f32>(p, load<f32>(p) * keep + load<f32>(i) * w);
      store<f32>(p, load<f32>(p, 4) * keep + load<f32>(i, 4) * w, 4);
      i += 8;
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
export function crossfadeInto(dst: i32, preroll: i32, fade: i32, frames: i32): void {
  const one = f32x4.splat(1);
  let d = at(dst);
  let p = at(preroll);
  let t = at(fade);
  const pairs = d + (<usize>(frames >> 1) << 4);
  while (d < pairs) {
    const f2 = v128.load64_zero(t);
    const fi = v128.shuffle<f32>(f2, f2, 0, 0, 1, 1);
    const fo = f32x4.sub(one, fi);
    v128.store(d, f32x4.add(f32x4.mul(v128.load(d), fo), f32x4.mul(v128.load(p), fi)));
    d += 16;
    p += 16;
    t += 8;
  }
  if (frames & 1) {
    const fi = load<f32>(t);
    const fo: f32 = 1 - fi;
    store<f32>(d, load<f32>(d) * fo + load<f32>(p) * fi);
    store<f32>(d, load<f32>(d, 4) * fo + load<f32>(p, 4) * fi, 4);
  }
}

const KNEE: f32 = 0.8;
const ROOM: f32 = 1 - KNEE;

/** soft limiter: |v| <= knee passes; above, knee + room * d / (1 + d) with d = (|v| - knee) / room, v's sign */
// @ts-ignore: decorator
@inline function softLimit(v: v128): v128 {
  const knee = f32x4.splat(KNEE);
  const room = f32x4.splat(ROOM);
  const a = f32x4.abs(v);
  const d = f32x4.div(f32x4.sub(a, knee), room);
  const y = f32x4.add(knee, f32x4.mul(room, f32x4.div(d, f32x4.add(f32x4.splat(1), d))));
  const signed = v128.bitselect(f32x4.neg(y), y, f32x4.lt(v, f32x4.splat(0)));
  return v128.bitselect(v, signed, f32x4.le(a, knee));
}

/** hard clip: v > 1 ? 1 : v < -1 ? -1 : v (pmin/pmax keep a NaN, like the scalar comparisons) */
// @ts-ignore: decorator
@inline function clamp(v: v128): v128 {
  return f32x4.pmax(f32x4.pmin(v, f32x4.splat(1)), f32x4.splat(-1));
}

// @ts-ignore: decorator
@inline function limit1(v: f32, soft: bool): f32 {
  if (soft) {
    const a = abs(v);
    if (a <= KNEE) return v;
    const d = (a - KNEE) / ROOM;
    const y = KNEE + ROOM * (d / (1 + d));
    return v < 0 ? -y : y;
  }
  return v > 1 ? 1 : v < -1 ? -1 : v;
}

/**
 * Master gain and limiter, in place, and the output peak per channel into m[meter], m[meter+1] (max with
 * |what is there|). clamp: hard clip at +-1. soft: above 0.8 a rational curve that approaches 1.
 * Arguments: [gain].
 */
export function masterOut(buf: i32, frames: i32, soft: bool, meter: i32): void {
  const gain = arg(0);
  const gv = f32x4.splat(gain);
  const mp = at(meter);
  let p = loadPeaks(mp);
  let q = p;
  let b = at(buf);
  const eights = b + (<usize>(frames >> 3) << 6);
  if (soft) {
    while (b < eights) {
      const v0 = softLimit(f32x4.mul(v128.load(b), gv));
      const v1 = softLimit(f32x4.mul(v128.load(b, 16), gv));
      const v2 = softLimit(f32x4.mul(v128.load(b, 32), gv));
      const v3 = softLimit(f32x4.mul(v128.load(b, 48), gv));
      v128.store(b, v0);
      v128.store(b, v1, 16);
      v128.store(b, v2, 32);
      v128.store(b, v3, 48);
      p = peak(peak(p, v0), v2);
      q = peak(peak(q, v1), v3);
      b += 64;
    }
  } else {
    while (b < eights) {
      const v0 = clamp(f32x4.mul(v128.load(b), gv));
      const v1 = clamp(f32x4.mul(v128.load(b, 16), gv));
      const v2 = clamp(f32x4.mul(v128.load(b, 32), gv));
      const v3 = clamp(f32x4.mul(v128.load(b, 48), gv));
      v128.store(b, v0);
      v128.store(b, v1, 16);
      v128.store(b, v2, 32);
      v128.store(b, v3, 48);
      p = peak(peak(p, v0), v2);
      q = peak(peak(q, v1), v3);
      b += 64;
    }
  }
  const pairs = b + (<usize>((frames >> 1) & 3) << 4);
  while (b < pairs) {
    const v = soft ? softLimit(f32x4.mul(v128.load(b), gv)) : clamp(f32x4.mul(v128.load(b), gv));
    v128.store(b, v);
    p = peak(p, v);
    b += 16;
  }
  storePeaks(mp, i32x4.max_u(p, q));
  if (frames & 1) {
    const l = limit1(load<f32>(b) * gain, soft);
    const r = limit1(load<f32>(b, 4) * gain, soft);
    store<f32>(b, l);
    store<f32>(b, r, 4);
    peak1(mp, l);
    peak1(mp + 4, r);
  }
}

/**
 * Float to int16 at the device boundary: scale by 32767, clamp, truncate toward zero; NaN -> 0.
 * Writes 2n int16 at float offset dst (n floats hold them). trunc_sat gives the clamp for free: the
 * saturating narrow to int16 clips what the int32 truncation left outside [-32768, 32767].
 */
export function toInt16(src: i32, frames: i32, dst: i32): void {
  const scale = f32x4.splat(32767);
  let s = at(src);
  let d = at(dst);
  const n = <usize>frames << 1;
  const sixteens = d + ((n >> 4) << 5);
  while (d < sixteens) {
    const a = i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(s), scale));
    const b = i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(s, 16), scale));
    const c = i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(s, 32), scale));
    const e = i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(s, 48), scale));
    v128.store(d, i16x8.narrow_i32x4_s(a, b));
    v128.store(d, i16x8.narrow_i32x4_s(c, e), 16);
    s += 64;
    d += 32;
  }
  if (n & 8) {
    const lo = i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(s), scale));
    const hi = i32x4.trunc_sat_f32x4_s(f32x4.mul(v128.load(s, 16), scale));
    v128.store(d, i16x8.narrow_i32x4_s(lo, hi));
    s += 32;
    d += 16;
  }
  const end = d + ((n & 7) << 1);
  while (d < end) {
    let v = load<f32>(s) * 32767;
    if (v > 32767) v = 32767;
    else if (v < -32768) v = -32768;
    // <i32> is i32.trunc_sat_f32_s (nontrapping-f2i): toward zero, NaN -> 0
    store<i16>(d, <i32>v);
    s += 4;
    d += 2;
  }
}

/** int16 from the device (2n of them at float offset src) into the arena as float: x / 32768. */
export function fromInt16(src: i32, dst: i32, frames: i32): void {
  const scale = f32x4.splat(1.0 / 32768);
  let s = at(src);
  let d = at(dst);
  const n = <usize>frames << 1;
  const eights = s + ((n >> 3) << 4);
  while (s < eights) {
    const x = v128.load(s);
    v128.store(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(x)), scale));
    v128.store(d, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(x)), scale), 16);
    s += 16;
    d += 32;
  }
  const end = s + ((n & 7) << 1);
  while (s < end) {
    store<f32>(d, <f32>load<i16>(s) / 32768);
    s += 2;
    d += 4;
  }
}

// The routing kernels below are scalar: copies (no rounding at all) and meters whose sums must run in
// the JS twin's order. They touch each sample once per block, beside the loops' mixing.

/**
 * Two channels of an interleaved `channels`-channel buffer into a stereo bus (a track's input source):
 * dst[2i] = src[i * channels + left], dst[2i + 1] = src[i * channels + right]; left = right puts a mono
 * channel on both sides. A copy, no arithmetic.
 */
export function extractPair(dst: i32, src: i32, frames: i32, channels: i32, left: i32, right: i32): void {
  let d = at(dst);
  let s = at(src);
  const end = d + (<usize>frames << 3);
  const stride = <usize>channels << 2;
  const l = <usize>left << 2;
  const r = <usize>right << 2;
  while (d < end) {
    store<u32>(d, load<u32>(s + l));
    store<u32>(d, load<u32>(s + r), 4);
    d += 8;
    s += stride;
  }
}

/**
 * A stereo bus into two adjacent channels of an interleaved `channels`-channel buffer (an output bus
 * onto the device's channels): dst[i * channels + first] = src[2i], dst[i * channels + first + 1] =
 * src[2i + 1]. A copy, no arithmetic.
 */
export function insertPair(dst: i32, src: i32, frames: i32, channels: i32, first: i32): void {
  let d = at(dst + first);
  let s = at(src);
  const end = s + (<usize>frames << 3);
  const stride = <usize>channels << 2;
  while (s < end) {
    store<u32>(d, load<u32>(s));
    store<u32>(d, load<u32>(s, 4), 4);
    s += 8;
    d += stride;
  }
}

/** The peak of each channel of an interleaved `channels`-channel buffer into m[meter .. meter+channels) (max with |what is there|). */
export function channelPeaks(src: i32, frames: i32, channels: i32, meter: i32): void {
  const stride = <usize>channels << 2;
  for (let c = 0; c < channels; c++) {
    const mp = at(meter + c);
    let p = load<u32>(mp) << 1;
    let s = at(src + c);
    const end = s + <usize>frames * stride;
    while (s < end) {
      p = max(p, load<u32>(s) << 1);
      s += stride;
    }
    store<u32>(mp, p >> 1);
  }
}

/**
 * Levels of a loop segment as a voice reads it (a track's meter): the peak per channel into m[meter],
 * m[meter+1] (max with |what is there|) and the sum of squares per channel added to m[meter+2],
 * m[meter+3], frame by frame in order (float32, one rounding per operation), pos wrapping at len.
 */
export function loopLevels(loop: i32, len: i32, pos: i32, frames: i32, meter: i32): void {
  const mp = at(meter);
  let pl = load<u32>(mp) << 1;
  let pr = load<u32>(mp, 4) << 1;
  let sl = load<f32>(mp, 8);
  let sr = load<f32>(mp, 12);
  let left = frames;
  while (left > 0) {
    const run = min(left, len - pos);
    let s = at(loop + pos * 2);
    const end = s + (<usize>run << 3);
    while (s < end) {
      const l = load<f32>(s);
      const r = load<f32>(s, 4);
      sl = sl + l * l;
      sr = sr + r * r;
      pl = max(pl, reinterpret<u32>(l) << 1);
      pr = max(pr, reinterpret<u32>(r) << 1);
      s += 8;
    }
    left -= run;
    pos = 0;
  }
  store<u32>(mp, pl >> 1);
  store<u32>(mp, pr >> 1, 4);
  store<f32>(mp, sl, 8);
  store<f32>(mp, sr, 12);
}
