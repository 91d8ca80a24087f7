// The loopback calibration's analysis, offline: a pattern played through simulated loopbacks (exact,
// attenuated and smeared, with another process's leftovers, with a dropout mid-run) and found, or not.

import { strict as assert } from 'assert';
import {
  analyseCalibration, CALIBRATION_CLICKS, CalibrationCapture, ClickPattern, makeClickPattern, renderPattern,
} from '../../lib/io/calibration';
import { rng as seeded } from '../engine/harness';

const RATE = 48000;
const BLOCK = 256;


/** What the host would play from `start` on, block by block, as one int16 interleaved array. */
function played(pattern: ClickPattern, start: number): Int16Array {
  const blocks = Math.ceil((pattern.endFrame - start) / BLOCK);
  const all = new Int16Array(blocks * BLOCK * 2);
  const block = new Int16Array(BLOCK * 2);
  for (let n = 0; n < blocks; n++) {
    renderPattern(pattern, start + n * BLOCK, BLOCK, block);
    all.set(block, n * BLOCK * 2);
  }
  return all;
}

/** Feeds `input` (starting at engine frame `start`) to a capture block by block, like the host does. */
function capture(pattern: ClickPattern, start: number, input: Int16Array): CalibrationCapture {
  const c = new CalibrationCapture(pattern);
  for (let n = 0; !c.complete; n++) {
    const block = new Int16Array(BLOCK * 2);
    const from = n * BLOCK * 2;
    block.set(input.subarray(from, Math.min(input.length, from + BLOCK * 2)));
    c.add(block, start + n * BLOCK, BLOCK);
  }
  return c;
}

/** The loopback: `signal` delayed by `delay` frames, scaled, through a one-pole low-pass, plus noise. */
function loopback(signal: Int16Array, delay: number, opts: { gain?: number; smooth?: number; noise?: number; seed?: number } = {}): Int16Array {
  const { gain = 1, smooth = 0, noise = 0 } = opts;
  const rand = seeded(opts.seed ?? 7);
  const frames = signal.length / 2 + delay + RATE;
  const out = new Int16Array(frames * 2);
  let y = 0;
  for (let k = 0; k < frames; k++) {
    const j = k - delay;
    const x = j >= 0 && j < signal.length / 2 ? signal[j * 2] * gain : 0;
    y = smooth * y + (1 - smooth) * x;
    const v = Math.round(y + (rand() * 2 - 1) * noise);
    out[k * 2] = out[k * 2 + 1] = Math.max(-32768, Math.min(32767, v));
  }
  return out;
}

describe('io: latency calibration', () => {
  const START = 100000;

  it('draws a new pattern each run: gaps of 0.12-0.24 s', () => {
    const a = makeClickPattern(RATE, START, seeded(1));
    const b = makeClickPattern(RATE, START, seeded(2));
    assert.equal(a.frames.length, CALIBRATION_CLICKS);
    assert.equal(a.frames[0], START);
    for (let i = 1; i < a.frames.length; i++) {
      const gap = a.frames[i] - a.frames[i - 1];
      assert.ok(gap >= 0.12 * RATE && gap < 0.24 * RATE, `gap ${gap}`);
    }
    assert.notDeepEqual(a.frames, b.frames);
    assert.equal(a.endFrame, a.frames[7] + RATE / 2 + 8);
  });

  it('renders each click at its frame, across block boundaries, silence elsewhere', () => {
    const pattern: ClickPattern = { frames: [250, 600], maxRoundTripFrames: 100, endFrame: 708 };
    const out = played(pattern, 0);
    const loud: number[] = [];
    for (let k = 0; k < out.length / 2; k++) if (out[k * 2] !== 0) loud.push(k);
    assert.deepEqual(loud, [250, 251, 252, 253, 254, 255, 256, 257, 600, 601, 602, 603, 604, 605, 606, 607]);
    assert.ok(loud.every((k) => out[k * 2] === out[k * 2 + 1]));
  });

  it('finds the round trip of an exact loopback, to the frame', () => {
    for (const delay of [259, 514, 1024, 3446]) {
      const pattern = makeClickPattern(RATE, START, seeded(delay));
      const a = capture(pattern, START, loopback(played(pattern, START), delay)).analyse(RATE);
      assert.deepEqual(a, { ok: true, roundTripFrames: delay, matched: 8, clicks: 8 });
    }
  });

  it('finds it through a quiet, smeared, noisy loopback within 2 frames', () => {
    const pattern = makeClickPattern(RATE, START, seeded(3));
    const input = loopback(played(pattern, START), 777, { gain: 0.05, smooth: 0.5, noise: 30 });
    const a = capture(pattern, START, input).analyse(RATE);
    assert.equal(a.ok, true, a.reason);
    assert.ok(Math.abs(a.roundTripFrames - 777) <= 2, `round trip ${a.roundTripFrames}`);
  });

  it("ignores another run's pattern coming back louder (a previous process's leftovers)", () => {
    const ours = makeClickPattern(RATE, START, seeded(4));
    const stale = makeClickPattern(RATE, START, seeded(5));
    const mine = loopback(played(ours, START), 600, { gain: 0.5 });
    const theirs = loopback(played(stale, START), 100);
    const sum = mine.map((v, i) => Math.max(-32768, Math.min(32767, v + (theirs[i] ?? 0))));
    const a = capture(ours, START, Int16Array.from(sum)).analyse(RATE);
    assert.equal(a.ok, true, a.reason);
    assert.equal(a.roundTripFrames, 600);
  });

  it("refuses a pattern that is not this run's", () => {
    const ours = makeClickPattern(RATE, START, seeded(6));
    const other = makeClickPattern(RATE, START, seeded(8));
    const a = capture(ours, START, loopback(played(other, START), 400)).analyse(RATE);
    assert.equal(a.ok, false);
    assert.match(a.reason!, /^only \d of 8 clicks came back at one round trip \(need 6\)/);
  });

  it('refuses a run whose round trip moved halfway (an xrun during the measurement)', () => {
    const pattern = makeClickPattern(RATE, START, seeded(9));
    const signal = played(pattern, START);
    const first = loopback(signal, 514);
    const second = loopback(signal, 529);
    const cut = (pattern.frames[4] - START) * 2;
    const input = Int16Array.from(first.map((v, i) => (i < cut ? v : second[i])));
    const a = capture(pattern, START, input).analyse(RATE);
    assert.equal(a.ok, false);
    assert.match(a.reason!, /clicks came back at one round trip|two round trips fit/);
  });

  it('says nothing came back when the input is silent', () => {
    const pattern = makeClickPattern(RATE, START, seeded(10));
    const a = capture(pattern, START, new Int16Array(RATE * 4)).analyse(RATE);
    assert.equal(a.ok, false);
    assert.match(a.reason!, /^nothing came back on the input: connect the output to the input/);
  });

  it('takes only the frames of its window, whatever blocks bring them', () => {
    const pattern: ClickPattern = { frames: [1000, 1500], maxRoundTripFrames: 50, endFrame: 1558 };
    const c = new CalibrationCapture(pattern);
    assert.equal(c.envelope.length, 558);
    const block = new Int16Array(BLOCK * 2).fill(-5);
    c.add(block, 768, BLOCK); // 768..1023: only 1000..1023 are in the window
    assert.equal(c.complete, false);
    assert.deepEqual(Array.from(c.envelope.subarray(0, 25)), [...Array(24).fill(5), 0]);
    c.add(block, 1024, BLOCK);
    c.add(block, 1280, BLOCK);
    assert.equal(c.complete, false);
    c.add(block, 1536, BLOCK);
    assert.equal(c.complete, true);
    assert.equal(analyseCalibration(c.envelope, pattern, RATE).ok, false);
  });

  it('multi-channel: the click goes out on every output; it is found on whichever input it comes back to', () => {
    const pattern = makeClickPattern(RATE, START, seeded(11));
    const delay = 600;
    // 4 outputs (2 buses): every one carries the click
    const blocks = Math.ceil((pattern.endFrame - START) / BLOCK);
    const out4 = new Int16Array(blocks * BLOCK * 4);
    const block4 = new Int16Array(BLOCK * 4);
    for (let n = 0; n < blocks; n++) {
      renderPattern(pattern, START + n * BLOCK, BLOCK, block4, 4);
      out4.set(block4, n * BLOCK * 4);
    }
    const stereo = played(pattern, START);
    for (let k = 0; k < stereo.length / 2; k++) {
      for (let c = 0; c < 4; c++) assert.equal(out4[k * 4 + c], stereo[k * 2], `frame ${k}, output ${c + 1}`);
    }
    // 4 inputs, the loopback cable on input 3 only (a guitar input, say), the rest silent
    const back = loopback(stereo, delay);
    const frames = back.length / 2;
    const in4 = new Int16Array(frames * 4);
    for (let k = 0; k < frames; k++) in4[k * 4 + 2] = back[k * 2];
    const c = new CalibrationCapture(pattern);
    for (let n = 0; !c.complete; n++) {
      const block = new Int16Array(BLOCK * 4);
      block.set(in4.subarray(n * BLOCK * 4, Math.min(in4.length, (n + 1) * BLOCK * 4)));
      c.add(block, START + n * BLOCK, BLOCK, 4);
    }
    assert.deepEqual(c.analyse(RATE), { ok: true, roundTripFrames: delay, matched: 8, clicks: 8 });
  });
});
