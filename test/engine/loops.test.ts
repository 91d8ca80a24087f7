import { strict as assert } from 'assert';
import { Engine } from '../../lib/engine/engine';
import { parseCommand } from '../../lib/engine/commands';
import { Cmd, ErrorCode, EventType, Quantize, State } from '../../lib/engine/types';
import { EngineEvent } from '../../lib/engine/events';
import { noise, plain, run } from './harness';

// Live loops (addLoop, deleteLoop) and the per-loop settings (quantize, feedback, input gain), sample by
// sample: the engine's tracks are the capacity, which of them are loops is engine state.

const f = Math.fround;
const of = (events: EngineEvent[], type: EventType) => events.filter((e) => e.type === type).map((e) => [e.track, e.frame, e.a, e.b]);

describe('engine: live loops (addLoop, deleteLoop)', () => {
  const len = 4800;
  const x = noise(len * 6, 31, 0.4);

  it('options.loops: the tracks after it start free; a command to a free track is refused (NotALoop) and changes nothing', () => {
    const r = run(plain({ tracks: 4, loops: 2 }), x, len * 2, [
      { frame: 0, track: 3, command: 'record' },
      { frame: 10, track: 3, command: 'volume', value: 0.5 },
      { frame: 20, track: 2, command: 'record' },
    ]);
    assert.deepEqual(r.engine.tracks.map((t) => t.live), [true, true, false, false]);
    assert.deepEqual(of(r.events, EventType.Error), [
      [3, 0, ErrorCode.NotALoop, Cmd.Record],
      [3, 10, ErrorCode.NotALoop, Cmd.Volume],
    ]);
    const info = r.engine.trackInfo(3);
    assert.equal(info.state, State.Empty);
    assert.equal(info.volume, 1);
    assert.equal(info.live, false);
    assert.equal(r.engine.trackInfo(2).state, State.Recording);
  });

  it('deleteLoop sounds exactly as a clear (the loop fades out over crossfadeFrames), then frees the track', () => {
    const steps = [
      { frame: 0, track: 1, command: 'record' },
      { frame: len, track: 1, command: 'play' },
      { frame: len + 100, track: 1, command: 'volume', value: 0.7 },
    ];
    const options = plain({ tracks: 2, crossfadeFrames: 64 });
    const cleared = run(options, x, len * 4, [...steps, { frame: 2 * len + 333, track: 1, command: 'clear' }]);
    const deleted = run(options, x, len * 4, [...steps, { frame: 2 * len + 333, track: 1, command: 'deleteLoop' }]);
    for (let i = 0; i < cleared.out.length; i++) assert.equal(deleted.out[i], cleared.out[i], `sample ${i}`);
    // it plays up to the delete, fades, and is silent after the fade
    assert.notEqual(deleted.out[(2 * len + 332) * 2], 0);
    for (let i = (2 * len + 333 + 64) * 2; i < deleted.out.length; i++) assert.equal(deleted.out[i], 0, `sample ${i}`);
    assert.deepEqual(of(deleted.events, EventType.Loop), [[1, 2 * len + 333, 0, 0]]);
    const info = deleted.engine.trackInfo(1);
    assert.deepEqual([info.live, info.state, info.frames, info.layers], [false, State.Empty, 0, 0]);
    // its memory went back: the arena holds what a fresh engine's does once the ghost has faded
    assert.equal(deleted.engine.arena.largestFree(), new Engine(options).arena.largestFree());
  });

  it('a recorded loop deleted and added again starts empty, with a fresh mixer and the engine\'s per-loop settings', () => {
    const r = run(plain({ tracks: 2, feedback: 0.8 }), x, len * 5, [
      { frame: 0, track: 1, command: 'record' },
      { frame: len, track: 1, command: 'play' },
      { frame: len + 1, track: 1, command: 'mute' },
      { frame: len + 2, track: 1, command: 'pan', value: -1 },
      { frame: len + 3, track: 1, command: 'feedback', value: 0.3 },
      { frame: len + 4, track: 1, command: 'solo' },
      { frame: 2 * len, track: 1, command: 'deleteLoop' },
      { frame: 3 * len, track: 1, command: 'addLoop' },
    ]);
    assert.deepEqual(of(r.events, EventType.Loop), [[1, 2 * len, 0, 0], [1, 3 * len, 1, 0]]);
    const info = r.engine.trackInfo(1);
    assert.deepEqual(
      [info.live, info.state, info.frames, info.layers, info.volume, info.pan, info.muted, info.soloed, info.feedback],
      [true, State.Empty, 0, 0, 1, 0, false, false, f(0.8)],
    );
    assert.equal(r.engine.loopData(1), null);
    // silent from the delete on: nothing of the old loop comes back with the add
    for (let i = 2 * len * 2; i < r.out.length; i++) assert.equal(r.out[i], 0, `sample ${i}`);
    // and it records again like any loop
    assert.equal(r.engine.command(Cmd.Record, 1, r.engine.frame), true);
  });

  it('addLoop with no track takes the first free one; with every track a loop it is refused (NoFreeTrack); adding a live loop changes nothing', () => {
    const r = run(plain({ tracks: 3, loops: 1 }), null, 1024, [
      { frame: 0, track: 2, command: 'addLoop' },
      { frame: 10, command: 'addLoop' },
      { frame: 20, command: 'addLoop' },
      { frame: 30, track: 2, command: 'deleteLoop' },
      { frame: 40, command: 'addLoop' },
      { frame: 50, track: 1, command: 'addLoop' },
    ]);
    assert.deepEqual(of(r.events, EventType.Loop), [[2, 0, 1, 0], [3, 10, 1, 0], [2, 30, 0, 0], [2, 40, 1, 0]]);
    assert.deepEqual(of(r.events, EventType.Error), [[0, 20, ErrorCode.NoFreeTrack, Cmd.AddLoop]]);
  });

  it('a loop loaded into a free track (a session restore) makes it a loop', () => {
    const e = new Engine(plain({ tracks: 2, loops: 0 }));
    assert.equal(e.loadLoop(2, noise(100, 3), 0), true);
    assert.deepEqual(e.tracks.map((t) => t.live), [false, true]);
    const events: number[][] = [];
    e.events.drain((ev) => void (ev.type === EventType.Loop && events.push([ev.track, ev.a])));
    assert.deepEqual(events, [[2, 1]]);
  });


  it('setLive between blocks (a session restore): adds and frees as the commands do; a track holding a loop is not freed', () => {
    const e = new Engine(plain({ tracks: 3, loops: 2 }));
    e.command(Cmd.Volume, 1, 0, 0.5);
    e.process(16);
    assert.equal(e.setLive(3, true), true);
    assert.equal(e.setLive(2, false), true);
    assert.equal(e.setLive(1, true), true, 'a loop already');
    assert.equal(e.loadLoop(1, noise(100, 3), 0), true);
    assert.equal(e.setLive(1, false), false);
    assert.deepEqual(e.tracks.map((t) => t.live), [true, false, true]);
    assert.equal(e.tracks[0].volume, 0.5, 'a loop made live again keeps its mixer');
    const events: number[][] = [];
    e.events.drain((ev) => void (ev.type === EventType.Loop && events.push([ev.track, ev.frame, ev.a])));
    assert.deepEqual(events, [[3, 16, 1], [2, 16, 0]]);
  });
  it('deleting a soloed loop brings the others back (with the usual fade)', () => {
    const steps = [
      { frame: 0, track: 1, command: 'record' },
      { frame: 0, track: 2, command: 'record' },
      { frame: len, track: 1, command: 'play' },
      { frame: len, track: 2, command: 'play' },
      { frame: len, track: 2, command: 'solo' },
    ];
    const r = run(plain({ tracks: 2 }), x, len * 3, [...steps, { frame: 2 * len, track: 2, command: 'deleteLoop' }]);
    const unsolo = run(plain({ tracks: 2 }), x, len * 3, [...steps, { frame: 2 * len, track: 2, command: 'clear' }, { frame: 2 * len, track: 2, command: 'unsolo' }]);
    for (let i = 0; i < r.out.length; i++) assert.equal(r.out[i], unsolo.out[i], `sample ${i}`);
    assert.notEqual(r.out[(2 * len + 10) * 2], 0, 'track 1 is heard again');
  });

  it('parseCommand: addLoop takes an optional track (0 or none: the first free), deleteLoop needs one', () => {
    assert.deepEqual(parseCommand({ command: 'addLoop' }, 4), { name: 'addLoop', cmd: Cmd.AddLoop, track: 0, value: 0 });
    assert.equal(parseCommand({ command: 'addLoop', track: 3 }, 4).track, 3);
    assert.throws(() => parseCommand({ command: 'addLoop', track: 5 }, 4), /track: 5 is out of range; accepted: an integer from 0 to 4/);
    assert.throws(() => parseCommand({ command: 'deleteLoop' }, 4), /track: missing; "deleteLoop" needs a track from 1 to 4/);
  });
});

describe('engine: per-loop quantize, feedback and input gain', () => {
  const len = 4800;
  const a = noise(len, 41, 0.3);
  const b = noise(len, 42, 0.3);
  const input = new Float32Array(len * 4);
  input.set(a, 0);
  input.set(b, len * 2);

  it('feedback: each loop\'s own, from its frame; a global feedback sets every loop\'s', () => {
    const r = run(plain({ tracks: 3 }), input, len * 3, [
      ...[1, 2, 3].map((track) => ({ frame: 0, track, command: 'record' })),
      ...[1, 2, 3].map((track) => ({ frame: len, track, command: 'play' })),
      { frame: 100, command: 'feedback', value: 0.25 },
      { frame: 200, track: 1, command: 'feedback', value: 0.5 },
      ...[1, 2, 3].map((track) => ({ frame: len, track, command: 'overdub' })),
      // mid-pass: track 3's feedback changes at this very frame
      { frame: len + 1000, track: 3, command: 'feedback', value: 1 },
      ...[1, 2, 3].map((track) => ({ frame: 2 * len, track, command: 'play' })),
    ]);
    const one = r.engine.loopData(1)!;
    const two = r.engine.loopData(2)!;
    const three = r.engine.loopData(3)!;
    for (let i = 0; i < len * 2; i++) {
      assert.equal(one[i], f(f(a[i] * 0.5) + b[i]), `track 1 sample ${i}`);
      assert.equal(two[i], f(f(a[i] * 0.25) + b[i]), `track 2 sample ${i}`);
      assert.equal(three[i], i < 2000 ? f(f(a[i] * 0.25) + b[i]) : f(a[i] + b[i]), `track 3 sample ${i}`);
    }
    assert.deepEqual([1, 2, 3].map((t) => r.engine.trackInfo(t).feedback), [0.5, 0.25, 1]);
    assert.equal(r.engine.feedback, 0.25);
  });

  it('input gain: each loop records its input times its own gain, from its frame; the monitor follows the global one', () => {
    const r = run(plain({ tracks: 3, monitor: true }), input, len * 2, [
      { frame: 0, track: 1, command: 'inputGain', value: 0.5 },
      { frame: 0, track: 2, command: 'inputGain', value: 2 },
      ...[1, 2, 3].map((track) => ({ frame: 0, track, command: 'record' })),
      { frame: 1000, track: 1, command: 'inputGain', value: 0.25 },
      ...[1, 2, 3].map((track) => ({ frame: len, track, command: 'play' })),
      { frame: len, command: 'monitor', value: false },
    ]);
    const one = r.engine.loopData(1)!;
    const two = r.engine.loopData(2)!;
    const three = r.engine.loopData(3)!;
    for (let i = 0; i < len * 2; i++) {
      assert.equal(one[i], f(a[i] * (i < 2000 ? 0.5 : 0.25)), `track 1 sample ${i}`);
      assert.equal(two[i], f(a[i] * 2), `track 2 sample ${i}`);
      assert.equal(three[i], a[i], `track 3 sample ${i}`);
    }
    // while recording, only the monitor is heard: the input as it came (global gain 1)
    for (let i = 0; i < len * 2; i++) assert.equal(r.out[i], a[i], `monitor sample ${i}`);
  });

  it('input gain: a global set scales the monitor and every loop\'s recording, as the one engine value did', () => {
    const r = run(plain({ tracks: 2, monitor: true }), input, len * 2, [
      { frame: 0, track: 2, command: 'inputGain', value: 2 },
      { frame: 0, command: 'inputGain', value: 0.5 },
      { frame: 0, track: 1, command: 'record' },
      { frame: 0, track: 2, command: 'record' },
      { frame: len, track: 1, command: 'play' },
      { frame: len, track: 2, command: 'play' },
      { frame: len, command: 'monitor', value: false },
    ]);
    for (const t of [1, 2]) {
      const loop = r.engine.loopData(t)!;
      for (let i = 0; i < len * 2; i++) assert.equal(loop[i], f(a[i] * 0.5), `track ${t} sample ${i}`);
    }
    for (let i = 0; i < len * 2; i++) assert.equal(r.out[i], f(a[i] * 0.5), `monitor sample ${i}`);
  });

  it('input gain: the crossfade pre-roll of a recording takes the loop\'s gain, as its take does', () => {
    const x = 64;
    const rec = (gain: number) =>
      run(plain({ tracks: 1, crossfadeFrames: x }), input, len * 2, [
        { frame: 0, track: 1, command: 'inputGain', value: gain },
        { frame: 500, track: 1, command: 'record' },
        { frame: 500 + len, track: 1, command: 'play' },
      ]).engine.loopData(1)!;
    // the gain is linear and every step rounds the same way: the loop at gain 0.5 is the loop at 1 halved
    const full = rec(1);
    const half = rec(0.5);
    const scaled = run(plain({ tracks: 1, crossfadeFrames: x }), input.map((v) => f(v * 0.5)), len * 2, [
      { frame: 500, track: 1, command: 'record' },
      { frame: 500 + len, track: 1, command: 'play' },
    ]).engine.loopData(1)!;
    assert.notDeepEqual(full, half);
    for (let i = 0; i < half.length; i++) assert.equal(half[i], scaled[i], `sample ${i}`);
  });

  it('quantize: each loop waits for its own boundary; a global quantize sets every loop\'s', () => {
    const bar = 96000; // 120 bpm, 4/4, 48 kHz
    const beat = 24000;
    const r = run(plain({ tracks: 3, quantize: 'off' }), null, bar + 4096, [
      { frame: 0, track: 2, command: 'quantize', value: 'bar' },
      { frame: 1000, track: 1, command: 'record' },
      { frame: 1000, track: 2, command: 'record' },
      { frame: 2000, command: 'quantize', value: 'beat' },
      { frame: 3000, track: 3, command: 'record' },
    ]);
    const starts = of(r.events, EventType.State).filter((e) => e[2] === State.Recording).map((e) => [e[0], e[1]]);
    assert.deepEqual(starts, [[1, 1000], [3, beat], [2, bar]]);
    assert.deepEqual([1, 2, 3].map((t) => r.engine.trackInfo(t).quantize), [Quantize.Beat, Quantize.Beat, Quantize.Beat]);
  });

  it('parseCommand: quantize, feedback and inputGain take an optional track (none or 0: every loop)', () => {
    assert.equal(parseCommand({ command: 'feedback', value: 0.5 }, 4).track, 0);
    assert.equal(parseCommand({ command: 'feedback', track: 0, value: 0.5 }, 4).track, 0);
    assert.equal(parseCommand({ command: 'inputGain', track: 2, value: 0.5 }, 4).track, 2);
    assert.throws(() => parseCommand({ command: 'quantize', track: 9, value: 'bar' }, 4), /track: 9 is out of range; accepted: an integer from 0 to 4/);
  });
});
