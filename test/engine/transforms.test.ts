import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseCommand } from '../../lib/engine/commands';
import { encodeWav, readWav } from '../../lib/session/wav';
import { tempDir } from '../fixtures/wav';
import { EngineEvent } from '../../lib/engine/events';
import { EventType, State } from '../../lib/engine/types';
import { noise, plain, run, sine, Step } from './harness';
import { panLeft, panRight } from '../../lib/engine/gains';

// The loop transforms, sample by sample: reverse, half and double speed, multiply, insert, replace,
// substitute, one-shot, retrigger and pause, each at an exact frame, checked against the recorded input. Quiet options (no
// crossfade, no monitor, no metronome, quantize off) unless a test says otherwise; blocks of 100
// frames so commands land inside blocks.

const f = Math.fround;
const BLOCK = 100;
const R0 = 1000;
const L = 4800;
const R1 = R0 + L;
const INPUT = noise(200000, 7);
const record: Step[] = [
  { frame: R0, command: 'record', track: 1 },
  { frame: R1, command: 'record', track: 1 },
];

/** The recorded loop's frame i (channel c): input[R0 + i]. */
const old = (i: number, c: number): number => INPUT[(R0 + (((i % L) + L) % L)) * 2 + c];
const mod = (a: number, n: number): number => ((a % n) + n) % n;
const states = (events: EngineEvent[], track = 1) => events.filter((e) => e.type === EventType.State && e.track === track).map((e) => [e.frame, e.a, e.b]);

function assertOut(out: Float32Array, from: number, to: number, want: (t: number, c: number) => number, what: string): void {
  for (let t = from; t < to; t++) {
    for (let c = 0; c < 2; c++) {
      const w = want(t, c);
      if (out[t * 2 + c] !== w) assert.fail(`${what}: frame ${t} ch ${c}: got ${out[t * 2 + c]}, want ${w}`);
    }
  }
}

describe('engine: loop transforms', () => {
  it('commands parse for render scripts and msgs, with a track', () => {
    for (const command of ['reverse', 'half', 'double', 'multiply', 'replace', 'oneshot', 'retrigger', 'pause', 'substitute', 'insert']) {
      assert.equal(parseCommand({ command, track: 2 }, 4).track, 2);
      assert.throws(() => parseCommand({ command }, 4), /track/);
    }
  });

  it('reverse: from its frame the loop runs backwards from the sample just heard; twice is the original', () => {
    const T = R1 + 1234;
    const T2 = T + 3 * L + 17;
    const r = run(plain(), INPUT, T2 + 2 * L, [...record, { frame: T, command: 'reverse', track: 1 }, { frame: T2, command: 'reverse', track: 1 }], BLOCK);
    const p0 = mod(T - R1, L);
    assertOut(r.out, R1, T, (t, c) => old(t - R1, c), 'before');
    assertOut(r.out, T, T2, (t, c) => old(mod(p0 - 1 - (t - T), L), c), 'reversed');
    // reversed again at T2: forward from the sample just heard there
    const p2 = mod(p0 - 1 - (T2 - 1 - T), L);
    assertOut(r.out, T2, T2 + 2 * L, (t, c) => old(p2 + (t - T2), c), 'forward again');
    const layers = r.events.filter((e) => e.type === EventType.Layers).map((e) => e.a);
    assert.deepEqual(layers, [1, 2, 3]);
  });

  it('reverse, then undo: back to the forward take, in phase', () => {
    const T = R1 + 500;
    const U = T + 2000;
    const r = run(plain(), INPUT, U + L, [...record, { frame: T, command: 'reverse', track: 1 }, { frame: U, command: 'undo', track: 1 }], BLOCK);
    assertOut(r.out, U, U + L, (t, c) => old(t - R1, c), 'after undo');
  });

  it('a long loop is transformed over several blocks, always ahead of where it plays, and is an undo step once complete', () => {
    const L2 = 100000;
    const T = R0 + L2 + 12345;
    const steps: Step[] = [{ frame: R0, command: 'record', track: 1 }, { frame: R0 + L2, command: 'record', track: 1 }, { frame: T, command: 'half', track: 1 }];
    const r = run(plain(), INPUT, T + 2 * L2 + 5000, steps, 256);
    const src = (i: number, c: number): number => INPUT[(R0 + mod(i, L2)) * 2 + c];
    const half = (j: number, c: number): number => (j % 2 === 0 ? src(j >> 1, c) : f(f(src(j >> 1, c) + src((j >> 1) + 1, c)) * f(0.5)));
    const p0 = mod(T - R0 - L2, L2);
    assertOut(r.out, T, T + 2 * L2 + 5000, (t, c) => half(mod(2 * p0 + (t - T), 2 * L2), c), 'half speed while filling and after');
    // 200000 frames at 16384 a block: the layer joins the undo steps 12 blocks after the command
    const layers = r.events.filter((e) => e.type === EventType.Layers);
    assert.deepEqual(layers.map((e) => e.a), [1, 2]);
    assert.ok(layers[1].frame > T + 10 * 256 && layers[1].frame < T + 14 * 256, `complete at ${layers[1].frame - T} frames after the command`);
  });

  it('undo while a transform fills: it completes, then is undone', () => {
    const L2 = 100000;
    const T = R0 + L2 + 500;
    const steps: Step[] = [{ frame: R0, command: 'record', track: 1 }, { frame: R0 + L2, command: 'record', track: 1 }, { frame: T, command: 'reverse', track: 1 }, { frame: T + 1000, command: 'undo', track: 1 }];
    const r = run(plain(), INPUT, T + L2, steps, 256);
    assert.equal(r.engine.trackInfo(1).layers, 2);
    assert.equal(r.engine.trackInfo(1).layer, 0);
    assertOut(r.out, T + 1000, T + L2, (t, c) => INPUT[(R0 + mod(t - R0 - L2, L2)) * 2 + c], 'forward again');
  });

  it('volume, pan and mute while a transform fills leave it filling a chunk per block; the gains still ramp', () => {
    const L2 = 100000;
    const T = R0 + L2 + 500;
    const V = T + 200;
    const mixer: Step[] = [
      { frame: V, command: 'volume', track: 1, value: 0.5 },
      { frame: V + 200, command: 'pan', track: 1, value: -0.5 },
      { frame: V + 400, command: 'mute', track: 1 },
      { frame: V + 600, command: 'unmute', track: 1 },
    ];
    const steps: Step[] = [{ frame: R0, command: 'record', track: 1 }, { frame: R0 + L2, command: 'record', track: 1 }, { frame: T, command: 'reverse', track: 1 }, ...mixer];
    const r = run(plain({ crossfadeFrames: 64 }), INPUT, T + L2, steps, 256);
    const layers = r.events.filter((e) => e.type === EventType.Layers);
    assert.deepEqual(layers.map((e) => e.a), [1, 2]);
    // 100000 frames at 16384 a block: complete 6 blocks (1536 frames) after the command, not at a fader move
    assert.ok(layers[1].frame > V + 600, `complete at ${layers[1].frame - T} frames after the reverse`);
    const reversed = run(plain({ crossfadeFrames: 64 }), INPUT, T + L2, steps.filter((s) => !mixer.includes(s)), 256);
    const tail = T + 30000;
    // after the unmute's ramp the gains are volume 0.5 at pan -0.5, on the reversed loop
    for (let t = tail; t < tail + 1000; t++) {
      assert.equal(r.out[t * 2], f(reversed.out[t * 2] * f(0.5 * panLeft(-0.5))), `frame ${t} left`);
      assert.equal(r.out[t * 2 + 1], f(reversed.out[t * 2 + 1] * f(0.5 * panRight(-0.5))), `frame ${t} right`);
    }
  });

  it('half speed: twice as long, position p becomes 2p, odd frames interpolated', () => {
    const T = R1 + 2 * L + 999;
    const r = run(plain(), INPUT, T + 5 * L, [...record, { frame: T, command: 'half', track: 1 }], BLOCK);
    const p0 = mod(T - R1, L);
    const half = (j: number, c: number): number => {
      const i = j >> 1;
      return j % 2 === 0 ? old(i, c) : f(f(old(i, c) + old(i + 1, c)) * f(0.5));
    };
    assertOut(r.out, T, T + 5 * L, (t, c) => half(mod(2 * p0 + (t - T), 2 * L), c), 'half speed');
    assert.deepEqual(states(r.events).pop(), [T, State.Playing, 2 * L]);
    assert.equal(r.engine.trackInfo(1).frames, 2 * L);
  });

  it('double speed: half as long, position p becomes p/2, pairs averaged', () => {
    const T = R1 + 777;
    const r = run(plain(), INPUT, T + 3 * L, [...record, { frame: T, command: 'double', track: 1 }], BLOCK);
    const p0 = mod(T - R1, L);
    const dbl = (i: number, c: number): number => f(f(old(2 * i, c) + old(2 * i + 1, c)) * f(0.5));
    assertOut(r.out, T, T + 3 * L, (t, c) => dbl(mod((p0 >> 1) + (t - T), L / 2), c), 'double speed');
    assert.equal(r.engine.trackInfo(1).frames, L / 2);
  });

  it('half then double gives back the loop exactly (the even frames are the originals)', () => {
    const T = R1 + 300;
    const r = run(plain(), INPUT, T + 2000, [...record, { frame: T, command: 'half', track: 1 }, { frame: T + 1000, command: 'double', track: 1 }], BLOCK);
    const data = r.engine.loopData(1) as Float32Array;
    assert.equal(data.length, 2 * L);
    const half = (j: number, c: number): number => (j % 2 === 0 ? old(j >> 1, c) : f(f(old(j >> 1, c) + old((j >> 1) + 1, c)) * f(0.5)));
    for (let i = 0; i < L; i++) for (let c = 0; c < 2; c++) assert.equal(data[i * 2 + c], f(f(half(2 * i, c) + half(2 * i + 1, c)) * f(0.5)));
  });

  it('multiply: the input is overdubbed while the loop grows by whole lengths; hit again, the input stops and the loop ends with that length', () => {
    const M = R1 + 2 * L;
    const stop = M + L + L / 2;
    const r = run(plain(), INPUT, M + 7 * L, [...record, { frame: M, command: 'multiply', track: 1 }, { frame: stop, command: 'multiply', track: 1 }], BLOCK);
    const end = M + 2 * L;
    // playing again at the second press, already two lengths long (SooperLooper's multiply)
    assert.deepEqual(states(r.events), [[R0, State.Recording, 0], [R1, State.Playing, L], [M, State.Multiplying, L], [stop, State.Playing, 2 * L]]);
    // the old loop plays until the grown one takes over (the input is heard through the monitor, off here)
    assertOut(r.out, M, end, (t, c) => old(t - R1, c), 'during multiply');
    // the input up to the second press, then the loop alone to the end of its length
    const grown = (k: number, c: number): number => (M + k < stop ? f(old(M + k - R1, c) + INPUT[(M + k) * 2 + c]) : old(M + k - R1, c));
    const data = r.engine.loopData(1) as Float32Array;
    assert.equal(data.length, 4 * L);
    for (let k = 0; k < 2 * L; k++) for (let c = 0; c < 2; c++) assert.equal(data[k * 2 + c], grown(k, c), `layer frame ${k}`);
    assertOut(r.out, end, M + 7 * L, (t, c) => grown(mod(t - M, 2 * L), c), 'the longer loop');
  });

  it('multiply a loop shorter than the master: it grows by whole master lengths', () => {
    const S0 = R1 + L;
    const S1 = S0 + L / 4;
    const M = S1 + 100;
    const steps: Step[] = [...record, { frame: S0, command: 'record', track: 2 }, { frame: S1, command: 'record', track: 2 }, { frame: M, command: 'multiply', track: 2 }, { frame: M + 10, command: 'multiply', track: 2 }];
    const r = run(plain(), INPUT, M + 3 * L, steps, BLOCK);
    assert.deepEqual(states(r.events, 2).pop(), [M + 10, State.Playing, L]);
    assert.equal((r.engine.loopData(2) as Float32Array).length, 2 * L);
  });

  it('multiply hit again, undone before its length has played: the old loop; redo brings the grown one', () => {
    const M = R1 + 100;
    const E = M + L / 2;
    const steps: Step[] = [...record, { frame: M, command: 'multiply', track: 1 }, { frame: E, command: 'multiply', track: 1 }, { frame: E + 10, command: 'undo', track: 1 }];
    const r = run(plain(), INPUT, M + 3 * L, steps, BLOCK);
    assert.equal(r.engine.trackInfo(1).frames, L);
    assertOut(r.out, M, M + 3 * L, (t, c) => old(t - R1, c), 'unchanged');
    const redone = run(plain(), INPUT, M + 3 * L, [...steps, { frame: E + 20, command: 'redo', track: 1 }], BLOCK);
    const data = redone.engine.loopData(1) as Float32Array;
    assert.equal(data.length, 2 * L);
    // the grown layer begins where the loop's pass began (R1): the loop before M, then the input to E
    const grown = (k: number, c: number): number => (R1 + k >= M && R1 + k < E ? f(old(k, c) + INPUT[(R1 + k) * 2 + c]) : old(k, c));
    for (let k = 0; k < L; k++) for (let c = 0; c < 2; c++) assert.equal(data[k * 2 + c], grown(k, c), `layer frame ${k}`);
  });

  describe('multiply keeps the loop\'s position, and undo and redo carry it over (as SooperLooper\'s)', () => {
    // begun 1000 frames into the loop's third pass, hit again halfway through the next: two lengths
    const O = R1 + 2 * L;
    const M = O + 1000;
    const stop = M + L + L / 2;
    const multiply: Step[] = [...record, { frame: M, command: 'multiply', track: 1 }, { frame: stop, command: 'multiply', track: 1 }];
    /** The grown layer's frame k: position 0 is where the pass the multiply began in began (O). */
    const grown = (k: number, c: number): number => (O + k >= M && O + k < stop ? f(old(k, c) + INPUT[(O + k) * 2 + c]) : old(k, c));

    it('the grown layer begins where the loop\'s pass began: the loop as it was, then the input overdubbed', () => {
      const r = run(plain(), INPUT, O + 6 * L, multiply, BLOCK);
      assert.deepEqual(states(r.events).slice(2), [[M, State.Multiplying, L], [stop, State.Playing, 2 * L]]);
      const data = r.engine.loopData(1) as Float32Array;
      assert.equal(data.length, 4 * L);
      for (let k = 0; k < 2 * L; k++) for (let c = 0; c < 2; c++) assert.equal(data[k * 2 + c], grown(k, c), `layer frame ${k}`);
      // the old loop plays until the grown one takes over at the end of its second length, at position 0
      assertOut(r.out, R1, O + 2 * L, (t, c) => old(t - R1, c), 'the old loop');
      assertOut(r.out, O + 2 * L, O + 6 * L, (t, c) => grown(mod(t - O, 2 * L), c), 'the longer loop');
      assert.equal(r.engine.trackInfo(1).position, mod(O + 6 * L - O, 2 * L));
    });

    it('a session writer sees the pass from the grown layer\'s position 0: the part before the press is there from the start', () => {
      const X = M + 3000;
      const r = run(plain(), INPUT, X, [...record, { frame: M, command: 'multiply', track: 1 }], BLOCK);
      const p = r.engine.writeProgress(1, { mode: 0, loop: -1, len: 0, startPos: 0, framesWritten: 0, began: 0 });
      assert.deepEqual([p.mode, p.len, p.startPos, p.framesWritten], [1, 0, 0, X - O]);
      const m = r.engine.memory;
      const input = (k: number, c: number): number => (O + k >= M ? f(old(k, c) + INPUT[(O + k) * 2 + c]) : old(k, c));
      for (let k = 0; k < p.framesWritten; k++) for (let c = 0; c < 2; c++) assert.equal(m[p.loop + k * 2 + c], input(k, c), `pass frame ${k}`);
    });

    it('the position goes on from the loop\'s through the multiply, past the old length while it grows', () => {
      const at = (frame: number, steps: Step[]) => run(plain(), INPUT, frame, steps, BLOCK).engine.trackInfo(1);
      const begun = [...record, { frame: M, command: 'multiply', track: 1 }];
      assert.deepEqual([at(M, begun).position, at(M, begun).frames], [1000, L]);
      assert.deepEqual([at(M + 500, begun).position, at(M + 500, begun).frames], [1500, L]);
      // a length in, the loop is two lengths long (SooperLooper adds a cycle as it passes one)
      assert.deepEqual([at(O + L + 300, begun).position, at(O + L + 300, begun).frames], [L + 300, 2 * L]);
      // hit again: the loop is two lengths long at once, and its position runs on
      const hit = at(stop + 700, multiply);
      assert.deepEqual([hit.state, hit.frames, hit.position], [State.Playing, 2 * L, stop + 700 - O]);
    });

    it('undo in the grown loop\'s second length: the old loop in its phase; redo: the grown loop from its first length', () => {
      const U = O + 3 * L + 300; // the grown loop at position L + 300
      const D = U + 200; // the old loop at 500; the grown loop, had it not been undone, at L + 500
      const end = D + 3 * L;
      const r = run(plain(), INPUT, end, [...multiply, { frame: U, command: 'undo', track: 1 }, { frame: D, command: 'redo', track: 1 }], BLOCK);
      assertOut(r.out, O + 2 * L, U, (t, c) => grown(mod(t - O, 2 * L), c), 'grown');
      assertOut(r.out, U, D, (t, c) => old(t - R1, c), 'undone');
      assertOut(r.out, D, end, (t, c) => grown(mod(500 + t - D, 2 * L), c), 'redone, from position 500');
      assert.equal(r.engine.trackInfo(1).position, mod(500 + end - D, 2 * L));
      // undone again: the old loop where the position carries it
      const again = run(plain(), INPUT, end, [...multiply, { frame: U, command: 'undo', track: 1 }, { frame: D, command: 'redo', track: 1 }, { frame: D + 1234, command: 'undo', track: 1 }], BLOCK);
      assertOut(again.out, D + 1234, end, (t, c) => old(t - R1, c), 'undone again');
    });

    it('redo while paused: the grown loop stands at the position carried over, and plays on from it', () => {
      const U = O + 3 * L + 300;
      const P = U + 100; // paused with the old loop at 400
      const D = P + 5000;
      const G = D + 3000;
      const end = G + 2 * L;
      const r = run(plain(), INPUT, end, [...multiply, { frame: U, command: 'undo', track: 1 }, { frame: P, command: 'pause', track: 1 },
        { frame: D, command: 'redo', track: 1 }, { frame: G, command: 'play', track: 1 }], BLOCK);
      assertOut(r.out, P, G, () => 0, 'paused');
      assertOut(r.out, G, end, (t, c) => grown(mod(400 + t - G, 2 * L), c), 'plays on from position 400');
    });

    it('hit again, the multiply is over at once: a command in the rest of its last length acts on the grown loop there and then', () => {
      const V = stop + 500; // the grown loop at position V - O, in its last length, before the old loop's would end (O + 2L)
      const W = V + 300;
      const r = run(plain(), INPUT, O + 6 * L, [...multiply, { frame: V, command: 'overdub', track: 1 }, { frame: W, command: 'overdub', track: 1 }], BLOCK);
      assert.deepEqual(states(r.events).slice(3), [[stop, State.Playing, 2 * L], [V, State.Overdubbing, 2 * L], [W, State.Playing, 2 * L]]);
      const dubbed = (k: number, c: number): number => (O + k >= V && O + k < W ? f(grown(k, c) + INPUT[(O + k) * 2 + c]) : grown(k, c));
      const data = r.engine.loopData(1) as Float32Array;
      assert.equal(data.length, 4 * L);
      for (let k = 0; k < 2 * L; k++) for (let c = 0; c < 2; c++) assert.equal(data[k * 2 + c], dubbed(k, c), `layer frame ${k}`);
      assertOut(r.out, stop, V, (t, c) => grown(t - O, c), 'the rest of the last length, as before');
      assertOut(r.out, W, O + 6 * L, (t, c) => dubbed(mod(t - O, 2 * L), c), 'the overdubbed loop');
      // a transform there is no longer refused as busy
      const rev = run(plain(), INPUT, O + 3 * L, [...multiply, { frame: V, command: 'reverse', track: 1 }], BLOCK);
      assert.equal(rev.events.filter((e) => e.type === EventType.Error).length, 0);
      assert.equal(rev.engine.trackInfo(1).frames, 2 * L);
      // right after the hit, a command waits for the write side to take the last of the input (latency, fade-out)
      const late = run(plain({ inputLatencyFrames: 37, crossfadeFrames: 64 }), INPUT, O + 3 * L, [...multiply, { frame: stop + 10, command: 'overdub', track: 1 }], BLOCK);
      assert.deepEqual(states(late.events).slice(3), [[stop, State.Playing, 2 * L], [stop + 37 + 64, State.Overdubbing, 2 * L]]);
    });

    it('with a crossfade, undo and redo switch without a step', () => {
      const rate = 48000;
      const input = sine(200000, 441, rate, 0.4);
      const maxStep = (x: Float32Array, from: number, to: number): number => {
        let m = 0;
        for (let t = from; t < to; t++) m = Math.max(m, Math.abs(x[t * 2] - x[t * 2 - 2]));
        return m;
      };
      const sineStep = 0.4 * 2 * Math.PI * (441 / rate);
      const U = O + 3 * L + 300;
      const D = U + 1200; // the grown loop from position 1500, where it holds the input too
      const steps: Step[] = [...multiply, { frame: U, command: 'undo', track: 1 }, { frame: D, command: 'redo', track: 1 }];
      const hard = run(plain(), input, D + L, steps, BLOCK);
      const soft = run(plain({ crossfadeFrames: 128 }), input, D + L, steps, BLOCK);
      // without a crossfade the switch to the grown loop steps
      assert.ok(maxStep(hard.out, D - 2, D + 2) > 4 * sineStep, `step ${maxStep(hard.out, D - 2, D + 2)}`);
      // the loop is the sine and, where the input was overdubbed, twice it: its own steps are at most twice the sine's
      assert.ok(maxStep(soft.out, U - 200, D + 400) <= 2 * sineStep * 1.05, `step ${maxStep(soft.out, U - 200, D + 400)}`);
    });
  });

  it('undo during a multiply: as if it never happened', () => {
    const M = R1 + 100;
    const r = run(plain(), INPUT, M + 3 * L, [...record, { frame: M, command: 'multiply', track: 1 }, { frame: M + L / 2, command: 'undo', track: 1 }], BLOCK);
    assert.equal(r.engine.trackInfo(1).frames, L);
    assert.equal(r.engine.trackInfo(1).state, State.Playing);
    assertOut(r.out, M, M + 3 * L, (t, c) => old(t - R1, c), 'unchanged');
  });

  it('replace: the loop is silent while the input replaces it, then plays with the new part', () => {
    const A = R1 + L + 1000;
    const B = A + 2000;
    const r = run(plain(), INPUT, B + 2 * L, [...record, { frame: A, command: 'replace', track: 1 }, { frame: B, command: 'replace', track: 1 }], BLOCK);
    assert.deepEqual(states(r.events).slice(2), [[A, State.Replacing, L], [B, State.Playing, L]]);
    assertOut(r.out, A, B, () => 0, 'silent while replacing');
    const replaced = (p: number, c: number): number => {
      const t = R1 + L + p; // the frame that played loop position p during the replace (A..B lies in the second pass)
      return t >= A && t < B ? INPUT[t * 2 + c] : old(p, c);
    };
    assertOut(r.out, B, B + 2 * L, (t, c) => replaced(mod(t - R1, L), c), 'after replace');
  });

  it('oneshot: plays once from the start, then plays on muted; retrigger restarts from position 0, unmuted', () => {
    const S = R1 + 1500;
    const O = S + 2000;
    const G = O + L + 3000;
    const steps: Step[] = [...record, { frame: S, command: 'stop', track: 1 }, { frame: O, command: 'oneshot', track: 1 }, { frame: G, command: 'retrigger', track: 1 }];
    const ended = run(plain(), INPUT, G, steps, BLOCK);
    // SooperLooper's Muted: playing, silent
    assert.equal(ended.engine.trackInfo(1).muted, true);
    assert.equal(ended.engine.trackInfo(1).state, State.Playing);
    const r = run(plain(), INPUT, G + 2 * L, steps, BLOCK);
    assertOut(r.out, S, O, () => 0, 'stopped');
    assertOut(r.out, O, O + L, (t, c) => old(t - O, c), 'one shot');
    assertOut(r.out, O + L, G, () => 0, 'muted after one pass');
    assertOut(r.out, G, G + 2 * L, (t, c) => old(t - G, c), 'retriggered');
    assert.deepEqual(states(r.events).slice(2), [[S, State.Stopped, L], [O, State.OneShot, L], [O + L, State.Playing, L], [G, State.Playing, L]]);
    assert.equal(r.engine.trackInfo(1).muted, false);
  });

  it('pause: the loop stands still where it is; play goes on from there (stop runs on in time)', () => {
    const P = R1 + L + 1234;
    const Q = P + 3 * L + 777;
    const steps: Step[] = [...record, { frame: P, command: 'pause', track: 1 }, { frame: Q, command: 'play', track: 1 }];
    const paused = run(plain(), INPUT, Q, steps, BLOCK);
    const p = mod(P - R1, L);
    assert.equal(paused.engine.trackInfo(1).position, p);
    assert.equal(paused.engine.trackInfo(1).paused, true);
    const r = run(plain(), INPUT, Q + 2 * L, steps, BLOCK);
    assert.deepEqual(states(r.events).slice(2), [[P, State.Stopped, L], [Q, State.Playing, L]]);
    assertOut(r.out, R1, P, (t, c) => old(t - R1, c), 'before');
    assertOut(r.out, P, Q, () => 0, 'paused');
    assertOut(r.out, Q, Q + 2 * L, (t, c) => old(p + (t - Q), c), 'from where it stood');
    assert.equal(r.engine.trackInfo(1).paused, false);
  });

  it('substitute: the input replaces the loop where it plays while the loop is heard', () => {
    const A = R1 + L + 1000;
    const B = A + 2000;
    const r = run(plain(), INPUT, B + 2 * L, [...record, { frame: A, command: 'substitute', track: 1 }, { frame: B, command: 'substitute', track: 1 }], BLOCK);
    assert.deepEqual(states(r.events).slice(2), [[A, State.Substituting, L], [B, State.Playing, L]]);
    assertOut(r.out, A, B, (t, c) => old(t - R1, c), 'the old loop while substituting');
    const replaced = (p: number, c: number): number => {
      const t = R1 + L + p;
      return t >= A && t < B ? INPUT[t * 2 + c] : old(p, c);
    };
    assertOut(r.out, B, B + 2 * L, (t, c) => replaced(mod(t - R1, L), c), 'after substitute');
  });

  it('insert: the loop stands still and silent while whole cycles of input go in at its position', () => {
    const I = R1 + L + 1000;
    const p = mod(I - R1, L);
    const r = run(plain(), INPUT, I + 5 * L, [...record, { frame: I, command: 'insert', track: 1 }, { frame: I + 2000, command: 'insert', track: 1 }], BLOCK);
    // one cycle (the take's length) from its start; the loop is a cycle longer from the start
    assert.deepEqual(states(r.events).slice(2), [[I, State.Inserting, 2 * L], [I + L, State.Playing, 2 * L]]);
    assertOut(r.out, I, I + L, () => 0, 'silent while inserting');
    const grown = (k: number, c: number): number => (k < p ? old(k, c) : k < p + L ? INPUT[(I + k - p) * 2 + c] : old(k - L, c));
    const data = r.engine.loopData(1) as Float32Array;
    assert.equal(data.length, 4 * L);
    for (let k = 0; k < 2 * L; k++) for (let c = 0; c < 2; c++) assert.equal(data[k * 2 + c], grown(k, c), `layer frame ${k}`);
    // on from the insert point's old content, in the longer loop
    assertOut(r.out, I + L, I + 5 * L, (t, c) => grown(mod(t - (I - p), 2 * L), c), 'after insert');
  });

  it('undo during an insert: the loop goes on from where it stood, as before', () => {
    const I = R1 + 700;
    const U = I + 1500;
    const r = run(plain(), INPUT, U + 2 * L, [...record, { frame: I, command: 'insert', track: 1 }, { frame: U, command: 'undo', track: 1 }], BLOCK);
    assert.equal(r.engine.trackInfo(1).frames, L);
    assertOut(r.out, I, U, () => 0, 'inserting');
    assertOut(r.out, U, U + 2 * L, (t, c) => old(I - R1 + (t - U), c), 'on from where it stood');
  });

  it('retrigger with quantize bar waits for the bar line', () => {
    const o = plain({ quantize: 'bar', bpm: 120 });
    // a bar at 120 bpm, 48 kHz is 96000 frames
    const r = run(o, INPUT, 300000, [{ frame: 10, command: 'record', track: 1 }, { frame: 96000, command: 'record', track: 1 }, { frame: 200000, command: 'retrigger', track: 1 }], 1000);
    const pend = r.events.filter((e) => e.type === EventType.Pending);
    // the recording is the bar [96000, 192000); the retrigger at 200000 waits for 288000
    assert.deepEqual(pend.map((e) => e.frame), [96000, 192000, 288000]);
    const loop = (i: number, c: number): number => INPUT[(96000 + mod(i, 96000)) * 2 + c];
    assertOut(r.out, 288000, 300000, (t, c) => loop(t - 288000, c), 'from the bar line');
  });

  it('a transform while overdubbing is refused, and the loop goes on', () => {
    const r = run(plain(), INPUT, R1 + 2 * L, [...record, { frame: R1 + 10, command: 'overdub', track: 1 }, { frame: R1 + 20, command: 'reverse', track: 1 }], BLOCK);
    const err = r.events.find((e) => e.type === EventType.Error);
    assert.ok(err && err.a === 5, JSON.stringify(err));
  });

  it('crossfaded transforms render the same bits with the JS and the WebAssembly kernels', () => {
    const steps: Step[] = [...record, { frame: R1 + 100, command: 'reverse', track: 1 }, { frame: R1 + 900, command: 'half', track: 1 },
      { frame: R1 + 3000, command: 'multiply', track: 1 }, { frame: R1 + 4000, command: 'multiply', track: 1 }, { frame: R1 + 30000, command: 'replace', track: 1 },
      { frame: R1 + 31000, command: 'replace', track: 1 }, { frame: R1 + 40000, command: 'retrigger', track: 1 }, { frame: R1 + 50000, command: 'double', track: 1 }];
    const o = plain({ crossfadeFrames: 64, monitor: true, inputLatencyFrames: 37 });
    const saved = process.env.LOOPSTATION_DSP;
    try {
      process.env.LOOPSTATION_DSP = 'js';
      const js = run(o, INPUT, R1 + 60000, steps, 128);
      process.env.LOOPSTATION_DSP = 'wasm';
      const wasm = run(o, INPUT, R1 + 60000, steps, 128);
      assert.equal(wasm.engine.dspBackend, 'wasm');
      assert.ok(Buffer.from(js.out.buffer).equals(Buffer.from(wasm.out.buffer)));
      assert.ok(js.out.some((v) => v !== 0));
    } finally {
      if (saved === undefined) delete process.env.LOOPSTATION_DSP;
      else process.env.LOOPSTATION_DSP = saved;
    }
  });
});

describe('engine: tempo change while loops play', () => {
  it('loops keep their length in frames; the metronome follows from the next beat', () => {
    const o = plain({ bpm: 120, metronome: { enabled: true, volume: 0 } });
    const change = R1 + 3 * L + 11;
    const r = run(o, INPUT, 300000, [...record, { frame: change, command: 'bpm', value: 90 }], BLOCK);
    // 120 bpm: beats every 24000 frames; the change waits for the beat at or after `change`
    const beats = r.events.filter((e) => e.type === EventType.Beat).map((e) => e.frame);
    const at = Math.ceil(change / 24000) * 24000;
    assert.deepEqual(beats.filter((b) => b <= at).slice(-2), [at - 24000, at]);
    assert.deepEqual(beats.filter((b) => b > at).slice(0, 2), [at + 32000, at + 64000]);
    assert.equal(r.engine.trackInfo(1).frames, L);
    assertOut(r.out, R1, 300000, (t, c) => old(t - R1, c), 'the loop plays on unchanged');
  });
});

describe('loopstation render with transforms', function () {
  this.timeout(30000);
  it('a render script reverses a loop at its event frame, sample by sample', () => {
    const tmp = tempDir('loopstation-transform-');
    try {
      const RATE = 48000;
      fs.writeFileSync(tmp.file('in.wav'), encodeWav(INPUT, 2, RATE, 'float32'));
      const T = R1 + 2000;
      fs.writeFileSync(tmp.file('s.json'), JSON.stringify({
        sampleRate: RATE, blockSize: 256, quantize: 'off', crossfadeFrames: 0, monitor: false, metronome: { enabled: false },
        input: 'in.wav', durationSeconds: 1,
        events: [{ frame: R0, track: 1, command: 'record' }, { frame: R1, track: 1, command: 'record' }, { frame: T, track: 1, command: 'reverse' }],
        outputs: { mix: 'out.wav' },
      }));
      const r = spawnSync(process.execPath, [path.join(__dirname, '../../../bin/loopstation.js'), 'render', 's.json'], { cwd: tmp.dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = readWav(tmp.file('out.wav'), { sampleRate: RATE });
      const p0 = mod(T - R1, L);
      assertOut(out.data, R1, T, (t, c) => old(t - R1, c), 'forward');
      assertOut(out.data, T, RATE, (t, c) => old(mod(p0 - 1 - (t - T), L), c), 'reversed');
    } finally {
      tmp.remove();
    }
  });
});

describe('engine: downbeat', () => {
  it('makes the next beat a bar start (the bar in progress is cut short); loops and beat frames stay', () => {
    const o = plain({ bpm: 120, metronome: { enabled: true, volume: 0 } });
    // beats every 24000 frames; at 130000 the next beat is beat 6 (144000), bar 1 beat 3
    const r = run(o, INPUT, 300000, [...record, { frame: 130000, command: 'downbeat' }], BLOCK);
    const beats = r.events.filter((e) => e.type === EventType.Beat);
    assert.deepEqual(beats.map((e) => e.frame), Array.from({ length: 13 }, (_, k) => k * 24000));
    assert.deepEqual(beats.map((e) => e.b), [0, 1, 2, 3, 0, 1, 0, 1, 2, 3, 0, 1, 2]);
    assert.equal(r.engine.transport.barOf(6), 2);
    assertOut(r.out, R1, 300000, (t, c) => old(t - R1, c), 'the loop plays on unchanged');
  });
});
