import { strict as assert } from 'assert';
import { Engine, panLeft, panRight } from '../../lib/engine/engine';
import { parseCommand } from '../../lib/engine/commands';
import { EventType, State } from '../../lib/engine/types';
import { Transport } from '../../lib/engine/transport';
import { synthClick } from '../../lib/engine/click';
import { at, noise, plain, run, sine } from './harness';

const f = Math.fround;
const stateEvents = (events: { type: number; track: number; frame: number; a: number; b: number }[], track: number) =>
  events.filter((e) => e.type === EventType.State && e.track === track).map((e) => [e.frame, e.a, e.b]);

/** Asserts out[t] == loop content for t in [from, to), where the loop holds input[start + p]. */
function assertLoopPlays(out: Float32Array, input: Float32Array, start: number, len: number, anchor: number, from: number, to: number, gain = 1): void {
  for (let t = from; t < to; t++) {
    const p = (((t - anchor) % len) + len) % len;
    const src = start + p;
    for (let c = 0; c < 2; c++) {
      const want = f(input[src * 2 + c] * gain);
      if (out[t * 2 + c] !== want) assert.fail(`frame ${t} ch ${c}: got ${out[t * 2 + c]}, want ${want} (loop position ${p})`);
    }
  }
}

describe('transport', () => {
  for (const [rate, bpm] of [[48000, 120], [44100, 97], [44100, 133.7], [96000, 61], [22050, 400]]) {
    it(`beat k at round(k * 60 * ${rate} / ${bpm}) for 10000 beats, never drifting`, () => {
      const t = new Transport(rate, bpm, 4);
      for (let k = 0; k < 10000; k++) assert.equal(t.beatFrame(k), Math.round((k * 60 * rate) / bpm));
      for (const k of [0, 1, 17, 9999]) {
        const fk = t.beatFrame(k);
        assert.equal(t.beatAtOrAfter(fk), k);
        assert.equal(t.beatAtOrAfter(fk + 1), k + 1);
      }
    });
  }
  it('a tempo change keeps the beat it starts on and counts from there', () => {
    const t = new Transport(48000, 120, 4);
    t.setTempoAtBeat(8, 90);
    assert.equal(t.beatFrame(8), 192000);
    assert.equal(t.beatFrame(9), 192000 + Math.round((60 * 48000) / 90));
    assert.equal(t.beatFrame(1008), 192000 + Math.round((1000 * 60 * 48000) / 90));
  });
});

describe('metronome', () => {
  it('emits a beat event at every beat frame, when it sounds, at a non-integer beat length', () => {
    const o = plain({ sampleRate: 44100, bpm: 97, metronome: { enabled: true } });
    const frames = 44100 * 10;
    const r = run(o, null, frames, [], 100);
    const beats = r.events.filter((e) => e.type === EventType.Beat);
    const want = [];
    for (let k = 0; Math.round((k * 60 * 44100) / 97) < frames; k++) want.push(Math.round((k * 60 * 44100) / 97));
    assert.deepEqual(beats.map((b) => b.frame), want);
    assert.deepEqual(beats.slice(0, 6).map((b) => b.b), [0, 1, 2, 3, 0, 1]);
  });

  it('the built-in click starts exactly on the beat frame, accented on the downbeat', () => {
    const o = plain({ sampleRate: 48000, bpm: 140, metronome: { enabled: true, volume: 0.5 } });
    const r = run(o, null, 48000 * 3, [], 333);
    const accent = synthClick(48000, true);
    const normal = synthClick(48000, false);
    for (let k = 0; k < 6; k++) {
      const start = Math.round((k * 60 * 48000) / 140);
      const click = k % 4 === 0 ? accent : normal;
      const g = k % 4 === 0 ? f(0.5) : f(f(0.5) * f(0.7));
      for (let i = 0; i < click.length; i++) assert.equal(r.out[start * 2 + i], f(click[i] * g), `beat ${k} sample ${i}`);
      if (start > 0) assert.equal(r.out[start * 2 - 1], 0, `silence before beat ${k}`);
    }
  });

  it('a WAV sample replaces the click, and metronomeInOutput=false keeps it out of the mix', () => {
    const impulse = new Float32Array([1, 1, 0.5, 0.5]);
    const o = plain({ bpm: 120, metronome: { enabled: true, volume: 1, sample: impulse } });
    const r = run(o, null, 48000, []);
    assert.deepEqual([...r.out.subarray(24000 * 2, 24000 * 2 + 4)], [f(0.7), f(0.7), f(0.35), f(0.35)]);
    assert.deepEqual(at(r.out, 0), [1, 1]);
    const quiet = run({ ...o, metronomeInOutput: false }, null, 48000, []);
    assert.ok(quiet.out.every((v) => v === 0));
  });
});

describe('recording and playback', () => {
  it('plays the loop as an exact copy of the input, from the record end with position 0 there', () => {
    const input = noise(48000 * 4, 7);
    const r = run(plain(), input, 48000 * 4, [
      { frame: 1000, track: 1, command: 'record' },
      { frame: 30001, track: 1, command: 'play' },
    ], 256);
    assert.deepEqual(stateEvents(r.events, 1), [[1000, State.Recording, 0], [30001, State.Playing, 29001]]);
    for (let t = 0; t < 30001; t++) assert.equal(r.out[t * 2], 0);
    assertLoopPlays(r.out, input, 1000, 29001, 30001, 30001, 48000 * 4);
  });

  it('is sample-accurate inside a block and independent of the block size', () => {
    const input = noise(48000, 3);
    const steps = [
      { frame: 333, track: 1, command: 'record' },
      { frame: 9001, track: 1, command: 'play' },
      { frame: 20017, track: 1, command: 'volume', value: 0.25 },
    ];
    const a = run(plain({ maxBlockFrames: 1024 }), input, 48000, steps, 1024).out;
    for (const block of [1, 64, 441, 1000]) {
      const b = run(plain({ maxBlockFrames: 1024 }), input, 48000, steps, block).out;
      assert.ok(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `block ${block} differs from block 1024`);
    }
    assertLoopPlays(a, input, 333, 8668, 9001, 20017, 48000, 0.25);
  });

  it('quantize bar: starts and ends on bar lines, with the loop a whole number of bars', () => {
    const input = noise(48000 * 8, 11);
    const o = plain({ quantize: 'bar', bpm: 120 });
    const r = run(o, input, 48000 * 8, [
      { frame: 4800, track: 1, command: 'record' },
      { frame: 110000, track: 1, command: 'play' },
    ]);
    // bar = 4 beats of 24000 frames
    assert.deepEqual(stateEvents(r.events, 1), [[96000, State.Recording, 0], [192000, State.Playing, 96000]]);
    const pending = r.events.filter((e) => e.type === EventType.Pending).map((e) => [e.frame, e.a]);
    assert.deepEqual(pending, [[96000, State.Recording], [192000, State.Playing]]);
    assertLoopPlays(r.out, input, 96000, 96000, 192000, 192000, 48000 * 8);
  });

  it('quantize beat at a non-integer beat length puts edges on round(k * 60 * rate / bpm)', () => {
    const o = plain({ quantize: 'beat', bpm: 97, sampleRate: 44100 });
    const r = run(o, noise(44100 * 4), 44100 * 4, [
      { frame: 100, track: 1, command: 'record' },
      { frame: 60000, track: 1, command: 'play' },
    ]);
    const b = (k: number) => Math.round((k * 60 * 44100) / 97);
    assert.deepEqual(stateEvents(r.events, 1), [[b(1), State.Recording, 0], [b(3), State.Playing, b(3) - b(1)]]);
  });

  it('quantize loop: a second loop starts and ends on the master loop boundaries, in phase', () => {
    const input = noise(48000 * 12, 5);
    const o = plain({ quantize: 'loop', bpm: 120 });
    const r = run(o, input, 48000 * 12, [
      { frame: 10, track: 1, command: 'record' }, // bar 1 at 96000? no: first boundary >= 10 is bar 1 = 96000
      { frame: 100000, track: 1, command: 'play' }, // ends at 192000: master length 96000
      { frame: 200000, track: 2, command: 'record' }, // master boundary: 288000
      { frame: 300000, track: 2, command: 'play' }, // 384000: length 96000
    ]);
    assert.deepEqual(stateEvents(r.events, 1), [[96000, State.Recording, 0], [192000, State.Playing, 96000]]);
    assert.deepEqual(stateEvents(r.events, 2), [[288000, State.Recording, 0], [384000, State.Playing, 96000]]);
    const info = r.engine.trackInfo(2);
    assert.equal(info.position, r.engine.trackInfo(1).position);
    assert.equal(r.engine.masterTrack, 1);
  });

  it('latency compensation: loop position p holds input frame recordStart + p + inputLatencyFrames', () => {
    const L = 777;
    const input = noise(48000 * 3, 9);
    const r = run(plain({ inputLatencyFrames: L }), input, 48000 * 3, [
      { frame: 2000, track: 1, command: 'record' },
      { frame: 50000, track: 1, command: 'play' },
    ], 128);
    const loop = r.engine.loopData(1)!;
    assert.equal(loop.length / 2, 48000);
    for (let p = 0; p < 48000; p++) {
      assert.equal(loop[p * 2], input[(2000 + p + L) * 2], `position ${p}`);
      assert.equal(loop[p * 2 + 1], input[(2000 + p + L) * 2 + 1]);
    }
    // playback from the end of the recording, position 0 first, even for the positions captured after it
    assertLoopPlays(r.out, input, 2000 + L, 48000, 50000, 50000 + L + 10, 48000 * 3);
  });

  it('stop during a recording keeps the loop, stopped; play resumes it in phase', () => {
    const input = noise(48000 * 3, 4);
    const r = run(plain(), input, 48000 * 3, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 10000, track: 1, command: 'stop' },
      { frame: 25000, track: 1, command: 'play' },
    ]);
    assert.deepEqual(stateEvents(r.events, 1), [[0, State.Recording, 0], [10000, State.Stopped, 10000], [25000, State.Playing, 10000]]);
    for (let t = 10000; t < 25000; t++) assert.equal(r.out[t * 2], 0);
    assertLoopPlays(r.out, input, 0, 10000, 10000, 25000, 48000 * 3);
  });

  it('toggle cycles like a pedal: record, play, overdub, play', () => {
    const r = run(plain(), noise(48000), 48000, [
      { frame: 0, track: 1, command: 'toggle' },
      { frame: 1000, track: 1, command: 'toggle' },
      { frame: 2000, track: 1, command: 'toggle' },
      { frame: 3000, track: 1, command: 'toggle' },
      { frame: 4000, track: 1, command: 'stop' },
      { frame: 5000, track: 1, command: 'toggle' },
    ]);
    assert.deepEqual(stateEvents(r.events, 1).map((e) => e[1]), [
      State.Recording, State.Playing, State.Overdubbing, State.Playing, State.Stopped, State.Playing,
    ]);
  });

  it('play on an empty track is refused with an error event and changes nothing', () => {
    const r = run(plain(), null, 1000, [{ frame: 10, track: 2, command: 'play' }]);
    assert.deepEqual(r.events.filter((e) => e.type === EventType.Error).map((e) => [e.track, e.a]), [[2, 0]]);
    assert.equal(r.engine.trackInfo(2).state, State.Empty);
  });
});

describe('overdub, undo and redo', () => {
  const len = 4800;
  const a = noise(len, 21, 0.3);
  const b = noise(len, 22, 0.3);
  // input: A during [0, len), then B during the overdub pass [len, 2 len)
  const input = new Float32Array(len * 6);
  input.set(a, 0);
  input.set(b, len * 2);

  it('adds the input into the loop (feedback 1), one pass an undo layer; undo and redo switch layers', () => {
    const r = run(plain(), input, len * 3, [
      { frame: 0, track: 1, command: 'record' },
      { frame: len, track: 1, command: 'overdub' },
      { frame: 2 * len, track: 1, command: 'play' },
    ]);
    const loop = r.engine.loopData(1)!;
    for (let i = 0; i < len * 2; i++) assert.equal(loop[i], f(a[i] + b[i]), `sample ${i}`);
    const e = new Engine(plain());
    assert.ok(e);
    // the pass played A while recording B (the input is heard through the monitor, not twice)
    assertLoopPlays(r.out, a, 0, len, len, len, 2 * len);
    const info = r.engine.trackInfo(1);
    assert.equal(info.layers, 2);
    assert.equal(info.layer, 1);
  });

  it('undo brings back the layer before the pass, redo the pass, exactly', () => {
    const r = run(plain(), input, len * 5, [
      { frame: 0, track: 1, command: 'record' },
      { frame: len, track: 1, command: 'overdub' },
      { frame: 2 * len, track: 1, command: 'play' },
      { frame: 3 * len, track: 1, command: 'undo' },
      { frame: 4 * len, track: 1, command: 'redo' },
    ]);
    // after undo: A again; after redo: A + B
    assertLoopPlays(r.out, a, 0, len, len, 3 * len, 4 * len);
    const ab = new Float32Array(len * 2).map((_, i) => f(a[i] + b[i]));
    assertLoopPlays(r.out, ab, 0, len, len, 4 * len, 5 * len);
  });

  it('feedback scales the old content on each pass', () => {
    const r = run(plain({ feedback: 0.5 }), input, len * 3, [
      { frame: 0, track: 1, command: 'record' },
      { frame: len, track: 1, command: 'overdub' },
      { frame: 2 * len, track: 1, command: 'play' },
    ]);
    const loop = r.engine.loopData(1)!;
    for (let i = 0; i < len * 2; i++) assert.equal(loop[i], f(f(a[i] * 0.5) + b[i]));
  });

  it('undo during a recording cancels it; undo of the only layer empties the track; clear frees all', () => {
    const r = run(plain(), input, len * 4, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 100, track: 1, command: 'undo' },
      { frame: 200, track: 1, command: 'record' },
      { frame: 1200, track: 1, command: 'play' },
      { frame: 2000, track: 1, command: 'undo' },
      { frame: 3000, track: 1, command: 'redo' },
      { frame: 4000, track: 1, command: 'clear' },
    ]);
    assert.deepEqual(stateEvents(r.events, 1).map((e) => e[1]), [
      State.Recording, State.Empty, State.Recording, State.Playing, State.Empty, State.Playing, State.Empty,
    ]);
    for (let t = 4000; t < len * 4; t++) assert.equal(r.out[t * 2], 0);
    assert.equal(r.engine.trackInfo(1).layers, 0);
  });

  it('record on a track with a loop re-records it; undo brings the old loop back', () => {
    const r = run(plain(), input, len * 4, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 1000, track: 1, command: 'play' },
      { frame: 2000, track: 1, command: 'record' },
      { frame: 4000, track: 1, command: 'play' },
      { frame: 6000, track: 1, command: 'undo' },
    ]);
    assert.equal(r.engine.trackInfo(1).frames, 1000);
    assertLoopPlays(r.out, input, 2000, 2000, 4000, 4000, 6000);
    assertLoopPlays(r.out, input, 0, 1000, 1000, 6000, len * 4);
  });
});

describe('crossfades', () => {
  const rate = 48000;
  // 441 Hz: the loop length below is not a whole number of periods, so a plain wrap has a step
  const input = sine(rate * 2, 441, rate, 0.8);
  const maxStep = (x: Float32Array, from: number, to: number) => {
    let m = 0;
    for (let t = from; t < to; t++) m = Math.max(m, Math.abs(x[t * 2] - x[t * 2 - 2]));
    return m;
  };
  const sineStep = 0.8 * 2 * Math.PI * (441 / rate); // the largest step of the sine itself

  it('without a crossfade the wrap steps (what the crossfade is for)', () => {
    const r = run(plain({ crossfadeFrames: 0 }), input, rate * 2, [
      { frame: 1000, track: 1, command: 'record' },
      { frame: 20000, track: 1, command: 'play' },
    ]);
    assert.ok(maxStep(r.out, 20000 + 19000 - 5, 20000 + 19000 + 5) > 3 * sineStep);
  });

  it('with a crossfade the loop wraps without a step', () => {
    const r = run(plain({ crossfadeFrames: 128 }), input, rate * 2, [
      { frame: 1000, track: 1, command: 'record' },
      { frame: 20000, track: 1, command: 'play' },
    ]);
    const len = 19000;
    assert.ok(maxStep(r.out, 20001, rate * 2) <= sineStep * 1.05, `step ${maxStep(r.out, 20001, rate * 2)}`);
    // the first crossfadeFrames positions are untouched input; only the tail is blended
    const loop = r.engine.loopData(1)!;
    for (let p = 0; p < len - 128; p++) assert.equal(loop[p * 2], input[(1000 + p) * 2]);
  });

  it('a volume change ramps linearly over crossfadeFrames from the command frame', () => {
    const dc = new Float32Array(48000 * 2).fill(0.5);
    // the loop is [500, 1500): position 0 at 5000, the blended tail (900..999) away from the ramp
    const r = run(plain({ crossfadeFrames: 100 }), dc, 20000, [
      { frame: 500, track: 1, command: 'record' },
      { frame: 1500, track: 1, command: 'play' },
      { frame: 5000, track: 1, command: 'volume', value: 0 },
    ]);
    assert.equal(r.out[4899 * 2], 0.5);
    for (let k = 0; k < 100; k++) {
      const g = f(1 + f(f(-1 / 100) * f(k + 1)));
      assert.equal(r.out[(5000 + k) * 2], f(f(0.5) * g), `ramp frame ${k}`);
    }
    assert.equal(r.out[5100 * 2], 0);
    // steps never exceed one ramp step
    assert.ok(maxStep(r.out, 4890, 5200) <= 0.5 / 100 + 1e-7);
  });

  it('an overdub fades its input in and out over crossfadeFrames', () => {
    const r = run(plain({ crossfadeFrames: 64 }), new Float32Array(48000 * 2).fill(0.25), 6000, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 1000, track: 1, command: 'overdub' },
      { frame: 1500, track: 1, command: 'play' },
    ]);
    const loop = r.engine.loopData(1)!;
    // positions 0..63 got the ramp, 64..499 the full input, 500..563 the fade-out, the rest untouched
    assert.equal(loop[0], f(0.25 + f(0.25 * f(1 / 64))));
    assert.equal(loop[100 * 2], 0.5);
    assert.equal(loop[530 * 2] > 0.25 && loop[530 * 2] < 0.5, true);
    assert.equal(loop[600 * 2], 0.25);
  });
});

describe('mixer', () => {
  const input = new Float32Array(48000 * 2).fill(0.5);
  const steps = (extra: { frame: number; track: number; command: string; value?: unknown }[]) => [
    { frame: 0, track: 1, command: 'record' },
    { frame: 100, track: 1, command: 'play' },
    { frame: 0, track: 2, command: 'record' },
    { frame: 100, track: 2, command: 'play' },
    ...extra,
  ];

  it('equal-power pan, unity at the centre: L^2 + R^2 = 2', () => {
    assert.deepEqual([panLeft(0), panRight(0)], [1, 1]);
    assert.deepEqual([panLeft(-1), panRight(-1)], [f(Math.SQRT2), 0]);
    assert.deepEqual([panLeft(1), panRight(1)], [0, f(Math.SQRT2)]);
    for (const p of [-0.7, -0.2, 0.3, 0.9]) assert.ok(Math.abs(panLeft(p) ** 2 + panRight(p) ** 2 - 2) < 1e-6);
    const r = run(plain(), input, 2000, steps([{ frame: 500, track: 1, command: 'pan', value: -1 }, { frame: 500, track: 2, command: 'mute' }]));
    assert.deepEqual(at(r.out, 1000), [f(0.5 * f(Math.SQRT2)), 0]);
  });

  it('mute silences, solo leaves only soloed tracks, unsolo restores', () => {
    const r = run(plain(), input, 4000, steps([
      { frame: 500, track: 1, command: 'mute' },
      { frame: 1000, track: 1, command: 'unmute' },
      { frame: 1500, track: 2, command: 'solo' },
      { frame: 2000, track: 2, command: 'unsolo' },
    ]));
    assert.deepEqual(at(r.out, 300), [1, 1]);
    assert.deepEqual(at(r.out, 700), [0.5, 0.5]);
    assert.deepEqual(at(r.out, 1200), [1, 1]);
    assert.deepEqual(at(r.out, 1700), [0.5, 0.5]);
    assert.deepEqual(at(r.out, 2500), [1, 1]);
  });

  it('no wrap-around: 16 full-scale tracks clamp at +-1 and encode to int16 +-32767; the encoder clamps what is beyond', () => {
    const loud = new Float32Array(4000 * 2);
    for (let i = 0; i < 4000; i++) loud[i * 2] = loud[i * 2 + 1] = i % 200 < 100 ? 1 : -1;
    const steps = [];
    for (let t = 1; t <= 16; t++) steps.push({ frame: 0, track: t, command: 'record' }, { frame: 1000, track: t, command: 'play' });
    const options = plain({ tracks: 16, monitor: true });
    const e = new Engine(options);
    for (const step of steps) {
      const c = parseCommand(step, 16);
      e.command(c.cmd, c.track, step.frame, c.value);
    }
    const BLOCK = options.maxBlockFrames;
    const pcm = new Int16Array(3000 * 2);
    for (let at = 0; at < 3000; at += BLOCK) {
      const n = Math.min(BLOCK, 3000 - at);
      e.inputView().set(loud.subarray(at * 2, (at + n) * 2));
      e.process(n);
      e.encodeOutput(n);
      pcm.set(e.pcmOutView().subarray(0, n * 2), at * 2);
    }
    for (let t = 1000; t < 3000; t++) {
      // 16 loops and the monitored input, all at +-1: the sum is +-17, the mix +-1, the device +-32767
      const want = t % 200 < 100 ? 32767 : -32767;
      if (pcm[t * 2] !== want || pcm[t * 2 + 1] !== want) assert.fail(`frame ${t}: int16 ${pcm[t * 2]}, ${pcm[t * 2 + 1]}, want ${want}`);
    }
    // the encoder on its own: beyond +-1 clamps (never wraps), NaN is silence
    e.outputView().set([5, -5, 1.0001, -1.0001, NaN, 0.5]);
    e.encodeOutput(3);
    assert.deepEqual([...e.pcmOutView().subarray(0, 6)], [32767, -32768, 32767, -32768, 0, Math.trunc(f(0.5 * 32767))]);
  });

  it('the soft limiter never exceeds 1 and leaves quiet audio untouched', () => {
    const r = run(plain({ limiter: 'soft', monitor: true, monitorVolume: 2 }), new Float32Array([0.3, -0.3, 0.9, -0.9, 5, -5]), 3, []);
    assert.deepEqual([...r.out.subarray(0, 2)], [f(0.6), f(-0.6)]);
    assert.ok(r.out[2] > 0.8 && r.out[2] < 1 && r.out[4] < 1 && r.out[4] > r.out[2]);
    assert.equal(r.out[5], -r.out[4]);
  });

  it('stems hold each track alone; the mix is their sum plus the monitored input', () => {
    const x = noise(3000, 1, 0.3);
    const r = run(plain({ stems: true, tracks: 2, monitor: true, monitorVolume: 0.5 }), x, 3000, steps([]));
    assert.ok(r.stems[0].some((v) => v !== 0));
    for (let i = 0; i < 3000 * 2; i++) assert.equal(r.out[i], f(f(f(x[i] * 0.5) + r.stems[0][i]) + r.stems[1][i]));
  });
});

describe('engine misc', () => {
  it('count-in delays the first recording by whole bars and sounds the click meanwhile', () => {
    const r = run(plain({ quantize: 'bar', metronome: { enabled: false, countInBars: 1 } }), noise(48000 * 6), 48000 * 6, [
      { frame: 10, track: 1, command: 'record' },
      { frame: 250000, track: 1, command: 'play' },
    ]);
    assert.deepEqual(stateEvents(r.events, 1)[0], [192000, State.Recording, 0]);
    assert.ok(r.out[96000 * 2] === 0 && r.out[(96000 + 100) * 2] !== 0, 'the count-in click sounds');
    assert.equal(r.out[(192000 + 100) * 2], 0, 'the click stops when the recording starts (metronome off)');
  });

  it('a tempo change lands on the next beat and the beats follow the new tempo', () => {
    const r = run(plain({ bpm: 120 }), null, 48000 * 4, [{ frame: 30000, command: 'bpm', value: 60 }]);
    const beats = r.events.filter((e) => e.type === EventType.Beat).map((e) => e.frame);
    assert.deepEqual(beats, [0, 24000, 48000, 96000, 144000]);
  });

  it('is deterministic to the bit', () => {
    const go = () => run(plain({ quantize: 'beat', crossfadeFrames: 128, metronome: { enabled: true } }), noise(96000), 96000, [
      { frame: 100, track: 1, command: 'record' },
      { frame: 50000, track: 1, command: 'overdub' },
      { frame: 70000, track: 1, command: 'play' },
    ]).out;
    assert.ok(Buffer.from(go().buffer).equals(Buffer.from(go().buffer)));
  });

  it('a recording longer than memory allows ends itself and reports it', () => {
    const r = run(plain({ memoryMiB: 1, tracks: 1 }), null, 200000, [{ frame: 0, track: 1, command: 'record' }]);
    const err = r.events.find((e) => e.type === EventType.Error);
    assert.ok(err && err.a === 1, 'memory-full error');
    assert.equal(r.engine.trackInfo(1).state, State.Playing);
    assert.ok(r.engine.trackInfo(1).frames > 50000);
  });
});

describe('input gain and pending actions', () => {
  it('inputGain scales the input before it is monitored and recorded', () => {
    const x = noise(4000, 8, 0.4);
    const r = run(plain({ monitor: true, inputGain: 0.5 }), x, 4000, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 1000, track: 1, command: 'play' },
      { frame: 1000, command: 'monitor', value: false },
    ]);
    assert.equal(r.out[10], f(x[10] * 0.5));
    const loop = r.engine.loopData(1)!;
    for (let i = 0; i < 2000; i++) assert.equal(loop[i], f(x[i] * 0.5));
  });

  it('stop while an overdub waits for its boundary cancels it: no empty undo layer (a double tap)', () => {
    const r = run(plain({ quantize: 'bar' }), noise(48000 * 6), 48000 * 6, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 10, track: 1, command: 'play' }, // loop = bar 0..1
      { frame: 100000, track: 1, command: 'overdub' },
      { frame: 100001, track: 1, command: 'stop' },
    ]);
    assert.equal(r.engine.trackInfo(1).layers, 1);
    assert.deepEqual(stateEvents(r.events, 1).map((e) => [e[0], e[1]]), [[0, State.Recording], [96000, State.Playing], [192000, State.Stopped]]);
  });
});
