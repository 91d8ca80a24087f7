// Offline sample-rate conversion (WAV import, metronome samples): a Kaiser-windowed sinc read from a
// polyphase table. Not for the real-time path: it allocates, and costs 2 * ZERO_CROSSINGS taps per
// output sample per channel (more when downsampling). Output frame j sits at input time j * from / to
// (no delay); samples outside the input count as silence.

const ZERO_CROSSINGS = 32; // per side, counted at the lower of the two rates
const KAISER_BETA = 8.6; // about 86 dB stopband attenuation
// Cutoff as a fraction of the lower Nyquist frequency. With 32 zero crossings and this beta the
// transition band is about 17% of the cutoff wide, so it ends just below Nyquist: nothing aliases
// and the passband is flat to about 0.82 of Nyquist (18 kHz at 44.1 kHz).
const ROLLOFF = 0.91;
// Rates whose reduced ratio needs more phases than this (unusual rates such as 44056 Hz) share a
// table of this many phases, interpolated linearly between neighbours.
const MAX_PHASES = 4096;

/** Frames that resample() returns for `frames` input frames: round(frames * toRate / fromRate). */
export function resampledLength(frames: number, fromRate: number, toRate: number): number {
  return Math.round((frames * toRate) / fromRate);
}

/**
 * Converts interleaved float32 audio with `channels` channels from `fromRate` to `toRate` (positive
 * integers, in Hz). Equal rates return an exact copy. Deterministic: same input, same bits.
 */
export function resample(input: Float32Array, channels: number, fromRate: number, toRate: number): Float32Array {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`resample: channels must be a positive integer, got ${channels}`);
  if (input.length % channels !== 0) throw new RangeError(`resample: ${input.length} samples is not a whole number of ${channels}-channel frames`);
  for (const rate of [fromRate, toRate]) {
    if (!Number.isSafeInteger(rate) || rate <= 0) throw new RangeError(`resample: sample rates must be positive integers, got ${rate}`);
  }
  if (fromRate === toRate) return input.slice();

  const frames = input.length / channels;
  const g = gcd(fromRate, toRate);
  const up = toRate / g; // output frame j sits at input position j * down / up
  const down = fromRate / g;
  const cutoff = ROLLOFF * Math.min(1, up / down); // as a fraction of the input Nyquist frequency
  const halfWidth = ZERO_CROSSINGS / cutoff; // window half width, in input samples
  const half = Math.ceil(halfWidth);
  const taps = 2 * half;
  const phases = Math.min(up, MAX_PHASES);
  const table = buildTable(phases, half, halfWidth, cutoff);

  const outFrames = resampledLength(frames, fromRate, toRate);
  const out = new Float32Array(outFrames * channels);
  const coef = new Float64Array(taps);
  let base = 0; // integer part of the input position
  let num = 0; // fractional part, in units of 1/up (exact integer arithmetic: no drift)
  for (let j = 0; j < outFrames; j++) {
    const pos = (num * phases) / up; // an exact integer when phases === up, so w is 0
    const row = Math.floor(pos);
    const w = pos - row;
    const a = row * taps;
    const b = a + taps;
    for (let t = 0; t < taps; t++) coef[t] = table[a + t] + w * (table[b + t] - table[a + t]);

    const first = base - half + 1; // input frame under coef[0]
    const lo = Math.max(0, -first);
    const hi = Math.min(taps, frames - first);
    for (let c = 0; c < channels; c++) {
      let acc = 0;
      for (let t = lo, i = (first + lo) * channels + c; t < hi; t++, i += channels) acc += coef[t] * input[i];
      out[j * channels + c] = acc;
    }

    num += down;
    const q = Math.floor(num / up);
    base += q;
    num -= q * up;
  }
  return out;
}

/**
 * Row r (0..phases) holds the 2 * half taps for an output sample at fractional input offset r / phases,
 * tap t weighting input frame (base - half + 1 + t). Each row is normalized to sum 1, so DC passes at
 * exactly unity gain whatever the phase (no phase-dependent gain ripple).
 */
function buildTable(phases: number, half: number, halfWidth: number, cutoff: number): Float64Array {
  const taps = 2 * half;
  const table = new Float64Array((phases + 1) * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let r = 0; r <= phases; r++) {
    const offset = r / phases;
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const d = t - half + 1 - offset; // distance from the output instant, in input samples
      const x = d / halfWidth;
      if (Math.abs(x) >= 1) continue;
      const arg = Math.PI * cutoff * d;
      const sinc = arg === 0 ? 1 : Math.sin(arg) / arg;
      const h = cutoff * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - x * x)) / i0Beta);
      table[r * taps + t] = h;
      sum += h;
    }
    for (let t = 0; t < taps; t++) table[r * taps + t] /= sum;
  }
  return table;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x <= 10). */
function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
