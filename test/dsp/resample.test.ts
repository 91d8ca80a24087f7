import { strict as assert } from 'assert';
import { resample, resampledLength } from '../../lib/dsp/resample';

function sine(freq: number, rate: number, frames: number, channels = 1, amp = 0.5): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) out[i * channels + c] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return out;
}

/** One channel of interleaved audio, frames [from, to). */
function channel(x: Float32Array, channels: number, c: number, from: number, to: number): Float64Array {
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = x[i * channels + c];
  return out;
}

function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / x.length);
}

const dB = (ratio: number) => 20 * Math.log10(ratio);

describe('dsp/resample', () => {
  it('returns a bit-exact copy (not the same array) when the rates are equal', () => {
    const x = sine(440, 48000, 1000, 2);
    x[7] = 1e-40; // a denormal survives too
    const y = resample(x, 2, 48000, 48000);
    assert.notEqual(y, x);
    assert.deepEqual(Buffer.from(y.buffer), Buffer.from(x.buffer));
  });

  it('output length is round(inputFrames * to / from), for every channel count', () => {
    const cases: [number, number, number, number][] = [
      [1000, 44100, 48000, 1], [1001, 44100, 48000, 2], [999, 48000, 44100, 3],
      [7, 8000, 44100, 1], [12345, 96000, 22050, 2], [3, 48000, 8000, 2], [0, 44100, 48000, 2], [5, 44056, 48000, 1],
    ];
    for (const [frames, from, to, ch] of cases) {
      const expected = Math.round((frames * to) / from);
      assert.equal(resampledLength(frames, from, to), expected);
      assert.equal(resample(new Float32Array(frames * ch), ch, from, to).length, expected * ch, `${frames} frames ${from}->${to} x${ch}`);
    }
  });

  it('44100 -> 48000: a 1 kHz sine keeps its frequency, phase and level (within 0.1 dB), with a residual below -100 dB', () => {
    const from = 44100, to = 48000, frames = 44100;
    const y = resample(sine(1000, from, frames, 2), 2, from, to);
    const outFrames = y.length / 2;
    const edge = 200; // filter settling at the ends, where the input starts and stops abruptly
    for (let c = 0; c < 2; c++) {
      const mid = channel(y, 2, c, edge, outFrames - edge);
      // frequency: rising zero crossings, interpolated, over the whole interior
      const rising: number[] = [];
      for (let i = 1; i < mid.length; i++) {
        if (mid[i - 1] < 0 && mid[i] >= 0) rising.push(i - 1 + mid[i - 1] / (mid[i - 1] - mid[i]));
      }
      const freq = ((rising.length - 1) * to) / (rising[rising.length - 1] - rising[0]);
      assert.ok(Math.abs(freq - 1000) < 0.01, `frequency ${freq}`);
      assert.ok(Math.abs(dB(rms(mid) / (0.5 / Math.SQRT2))) < 0.1, `level ${dB(rms(mid) / (0.5 / Math.SQRT2))} dB`);
      // residual against the ideal sine sampled at 48 kHz (output frame 0 is input time 0)
      const err = mid.map((v, k) => v - 0.5 * Math.sin((2 * Math.PI * 1000 * (k + edge)) / to));
      assert.ok(dB(rms(err) / 0.5) < -100, `residual ${dB(rms(err) / 0.5)} dB`);
    }
  });

  it('48000 -> 44100: a 23 kHz tone (above the new Nyquist) is removed, not folded down to 21.1 kHz', () => {
    const y = resample(sine(23000, 48000, 48000), 1, 48000, 44100);
    const level = rms(channel(y, 1, 0, 400, y.length - 400)) / (0.5 / Math.SQRT2);
    assert.ok(dB(level) < -85, `alias at ${dB(level)} dB`);
  });

  it('44100 -> 48000: a 15 kHz tone passes within 0.1 dB with a residual below -100 dB', () => {
    const y = resample(sine(15000, 44100, 44100), 1, 44100, 48000);
    const mid = channel(y, 1, 0, 400, y.length - 400);
    assert.ok(Math.abs(dB(rms(mid) / (0.5 / Math.SQRT2))) < 0.1, `level ${dB(rms(mid) / (0.5 / Math.SQRT2))} dB`);
    const err = mid.map((v, k) => v - 0.5 * Math.sin((2 * Math.PI * 15000 * (k + 400)) / 48000));
    assert.ok(dB(rms(err) / 0.5) < -100, `residual ${dB(rms(err) / 0.5)} dB`);
  });

  it('passes DC at exactly unity gain away from the edges, also at an unusual rate (interpolated phases)', () => {
    for (const [from, to] of [[44100, 48000], [44056, 48000], [48000, 8000]]) {
      const y = resample(new Float32Array(from).fill(0.25), 1, from, to);
      for (let i = 300; i < y.length - 300; i++) assert.ok(Math.abs(y[i] - 0.25) < 1e-6, `${from}->${to} frame ${i}: ${y[i]}`);
    }
  });

  it('keeps channels separate', () => {
    const x = new Float32Array(2000 * 2);
    for (let i = 0; i < 2000; i++) x[2 * i] = Math.sin(i / 10); // right stays silent
    const y = resample(x, 2, 44100, 48000);
    assert.ok(rms(channel(y, 2, 0, 0, y.length / 2)) > 0.5);
    assert.equal(rms(channel(y, 2, 1, 0, y.length / 2)), 0);
  });

  it('is deterministic: two runs give the same bits', () => {
    let seed = 12345;
    const noise = new Float32Array(20000).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
    for (const [from, to] of [[44100, 48000], [48000, 22050], [44056, 48000]]) {
      const a = resample(noise, 2, from, to);
      const b = resample(noise, 2, from, to);
      assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer));
    }
  });

  it('rejects bad arguments with a RangeError', () => {
    assert.throws(() => resample(new Float32Array(4), 0, 44100, 48000), RangeError);
    assert.throws(() => resample(new Float32Array(3), 2, 44100, 48000), RangeError);
    assert.throws(() => resample(new Float32Array(4), 2, 0, 48000), RangeError);
    assert.throws(() => resample(new Float32Array(4), 2, 44100, 48000.5), RangeError);
    assert.throws(() => resample(new Float32Array(4), 2, 44100, NaN), RangeError);
  });
});
