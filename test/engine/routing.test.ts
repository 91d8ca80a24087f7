import { strict as assert } from 'assert';
import { InputError, parseCommand } from '../../lib/engine/commands';
import { Engine, panLeft, panRight } from '../../lib/engine/engine';
import { engineOptions } from '../../lib/engine/options';
import { sourceCode, sourceName } from '../../lib/engine/routing';
import { Cmd, ErrorCode, EventType } from '../../lib/engine/types';
import { noise, plain, rng, run } from './harness';

// Multi-channel routing, sample by sample: each track records exactly its input source, the click and
// the monitor land only on their bus, a cue send lands on its bus at its gain, and a mono source sits
// in the centre of the engine's pan law.

const f = Math.fround;

/** `frames` frames of `channels` interleaved channels, each its own seeded noise. */
function multiChannel(frames: number, channels: number, amp = 0.5): Float32Array {
  const x = new Float32Array(frames * channels);
  for (let c = 0; c < channels; c++) {
    const r = rng(100 + c);
    for (let i = 0; i < frames; i++) x[i * channels + c] = f((r() * 2 - 1) * amp);
  }
  return x;
}

/** Channel c (0-based) of an interleaved buffer. */
function channel(x: Float32Array, channels: number, c: number): Float32Array {
  const out = new Float32Array(x.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = x[i * channels + c];
  return out;
}

/** Interleaves two channels into stereo. */
function stereo(l: Float32Array, r: Float32Array): Float32Array {
  const out = new Float32Array(l.length * 2);
  for (let i = 0; i < l.length; i++) {
    out[2 * i] = l[i];
    out[2 * i + 1] = r[i];
  }
  return out;
}

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

describe('engine routing: input sources', () => {
  it('a 4-channel input: each track records exactly its source (mono 1, mono 2, pair 3-4, all), with input latency', () => {
    const frames = 6000;
    const x = multiChannel(frames, 4);
    const lat = 37;
    const r = run(plain({ inputChannels: 4, tracks: 4, inputLatencyFrames: lat }), x, frames, [
      { frame: 0, track: 1, command: 'input', value: '1' },
      { frame: 0, track: 2, command: 'input', value: 2 },
      { frame: 0, track: 3, command: 'input', value: '3-4' },
      { frame: 0, track: 4, command: 'input', value: 'all' },
      ...[1, 2, 3, 4].flatMap((track) => [
        { frame: 1000, track, command: 'record' },
        { frame: 3000, track, command: 'play' },
      ]),
    ], 256);
    const ch = [0, 1, 2, 3].map((c) => channel(x, 4, c).subarray(1000 + lat, 3000 + lat));
    const want = [stereo(ch[0], ch[0]), stereo(ch[1], ch[1]), stereo(ch[2], ch[3]), stereo(ch[0], ch[1])];
    for (let t = 1; t <= 4; t++) {
      const loop = r.engine.loopData(t)!;
      assert.equal(loop.length, 4000, `track ${t} length`);
      assert.deepEqual(bits(loop), bits(want[t - 1]), `track ${t} records its source`);
    }
    assert.deepEqual(r.engine.trackInfo(3).source, -3);
  });

  it('a source recorded from a 4-channel input gives the same bits as a stereo engine fed that source (crossfades, overdub, latency)', () => {
    const frames = 20000;
    const x = multiChannel(frames, 4);
    const options = { tracks: 1, crossfadeFrames: 64, inputLatencyFrames: 53, feedback: 0.7 };
    const steps = [
      { frame: 777, track: 1, command: 'record' },
      { frame: 5000, track: 1, command: 'overdub' },
      { frame: 11111, track: 1, command: 'play' },
    ];
    for (const [source, l, rr] of [['3', 2, 2], ['2-3', 1, 2]] as const) {
      const multi = run(plain({ ...options, inputChannels: 4 }), x, frames, [{ frame: 0, track: 1, command: 'input', value: source }, ...steps], 300);
      const two = run(plain(options), stereo(channel(x, 4, l), channel(x, 4, rr)), frames, steps, 300);
      assert.deepEqual(bits(multi.engine.loopData(1)!), bits(two.engine.loopData(1)!), `source ${source}: the loop`);
      assert.deepEqual(bits(multi.out), bits(two.out), `source ${source}: the output`);
    }
  });

  it('a source changed mid-block changes what is recorded at that very frame', () => {
    const frames = 3000;
    const x = multiChannel(frames, 4);
    const lat = 10;
    const r = run(plain({ inputChannels: 4, tracks: 1, inputLatencyFrames: lat }), x, frames, [
      { frame: 0, track: 1, command: 'input', value: '1' },
      { frame: 100, track: 1, command: 'record' },
      { frame: 1234, track: 1, command: 'input', value: '4' },
      { frame: 2000, track: 1, command: 'play' },
    ], 512);
    const loop = r.engine.loopData(1)!;
    // position p holds the input that arrived at frame p + 100 + lat: from frame 1234 on, channel 4's
    for (let p = 0; p < 1900; p++) {
      const c = p + 100 + lat < 1234 ? 0 : 3;
      const want = x[(p + 100 + lat) * 4 + c];
      assert.equal(loop[2 * p], want, `position ${p} left`);
      assert.equal(loop[2 * p + 1], want, `position ${p} right`);
    }
  });

  it('a one-channel input: "all" is channel 1 on both sides', () => {
    const x = channel(multiChannel(2000, 1), 1, 0);
    const r = run(plain({ inputChannels: 1, tracks: 1 }), x, 2000, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 1000, track: 1, command: 'play' },
    ], 128);
    assert.deepEqual(bits(r.engine.loopData(1)!), bits(stereo(x.subarray(0, 1000), x.subarray(0, 1000))));
  });

  it('mono to the centre: unity on both sides at pan 0, then the track pan places it (L^2 + R^2 = 2 x^2)', () => {
    const frames = 4000;
    const x = multiChannel(frames, 2);
    const r = run(plain({ tracks: 1 }), x, frames, [
      { frame: 0, track: 1, command: 'input', value: '2' },
      { frame: 0, track: 1, command: 'record' },
      { frame: 1000, track: 1, command: 'play' },
      { frame: 2000, track: 1, command: 'pan', value: -1 },
      { frame: 3000, track: 1, command: 'pan', value: 0.5 },
    ], 250);
    const src = (i: number) => x[(i % 1000) * 2 + 1];
    for (let i = 1000; i < 2000; i++) {
      assert.equal(r.out[2 * i], src(i));
      assert.equal(r.out[2 * i + 1], src(i));
    }
    assert.equal(panLeft(-1), f(Math.SQRT2));
    assert.equal(panRight(-1), 0);
    for (let i = 2000; i < 3000; i++) {
      assert.equal(r.out[2 * i], f(src(i) * f(Math.SQRT2)));
      assert.equal(r.out[2 * i + 1], 0);
    }
    for (let i = 3000; i < 4000; i++) {
      const l = r.out[2 * i];
      const rr = r.out[2 * i + 1];
      assert.equal(l, f(src(i) * panLeft(0.5)));
      assert.equal(rr, f(src(i) * panRight(0.5)));
      assert.ok(Math.abs(l * l + rr * rr - 2 * src(i) ** 2) < 1e-6);
    }
  });

  it('the monitor hears its own source on its own bus', () => {
    const frames = 1000;
    const x = multiChannel(frames, 4);
    const r = run(plain({ inputChannels: 4, outputBuses: 2, monitor: true, monitorVolume: 0.5, monitorBus: 2, monitorInput: -3 }), x, frames, [], 128);
    for (let i = 0; i < frames; i++) {
      assert.equal(r.out[4 * i], 0, 'bus 1 left');
      assert.equal(r.out[4 * i + 1], 0, 'bus 1 right');
      assert.equal(r.out[4 * i + 2], f(x[4 * i + 2] * 0.5), 'bus 2 left: channel 3');
      assert.equal(r.out[4 * i + 3], f(x[4 * i + 3] * 0.5), 'bus 2 right: channel 4');
    }
  });
  it('the monitor moves to another bus, or another source, at the frame of the command (mid-block)', () => {
    const frames = 1000;
    const x = multiChannel(frames, 4);
    // blocks of 256: frame 300 and 700 fall inside blocks
    const r = run(plain({ inputChannels: 4, outputBuses: 2, monitor: true, monitorVolume: 0.5 }), x, frames, [
      { frame: 300, command: 'monitorBus', value: 2 },
      { frame: 700, command: 'monitorInput', value: '3-4' },
    ], 256);
    for (let i = 0; i < frames; i++) {
      const bus = i < 300 ? 0 : 2;
      const c = i < 700 ? 0 : 2;
      assert.equal(r.out[4 * i + bus], f(x[4 * i + c] * 0.5), `frame ${i}: the monitored left`);
      assert.equal(r.out[4 * i + bus + 1], f(x[4 * i + c + 1] * 0.5), `frame ${i}: the monitored right`);
      assert.equal(r.out[4 * i + 2 - bus], 0, `frame ${i}: the other bus, left`);
      assert.equal(r.out[4 * i + 3 - bus], 0, `frame ${i}: the other bus, right`);
    }
  });
});

describe('engine routing: output buses', () => {
  it('the metronome is only on its bus, with the same bits a one-bus engine puts in its mix', () => {
    const frames = 48000;
    const metro = { metronome: { enabled: true, volume: 0.6 } };
    const two = run(plain({ ...metro, outputBuses: 2, metronomeBus: 2 }), null, frames, [], 512);
    const one = run(plain(metro), null, frames, [], 512);
    let clicks = 0;
    for (let i = 0; i < frames; i++) {
      assert.equal(two.out[4 * i], 0, `bus 1 left at ${i}`);
      assert.equal(two.out[4 * i + 1], 0, `bus 1 right at ${i}`);
      assert.equal(two.out[4 * i + 2], one.out[2 * i]);
      assert.equal(two.out[4 * i + 3], one.out[2 * i + 1]);
      if (one.out[2 * i] !== 0) clicks++;
    }
    assert.ok(clicks > 100, 'the click sounds');
  });

  it('the metronome bus is a command too, and a bus the engine lacks is an error event', () => {
    const r = run(plain({ metronome: { enabled: true }, outputBuses: 2 }), null, 30000, [
      { frame: 0, command: 'metronomeBus', value: 2 },
      { frame: 0, command: 'monitorBus', value: 3 },
    ], 512);
    for (let i = 0; i < 30000; i++) assert.equal(r.out[4 * i], 0);
    assert.ok(r.out.some((v, i) => i % 4 === 2 && v !== 0));
    const err = r.events.find((e) => e.type === EventType.Error);
    assert.ok(err && err.a === ErrorCode.NoSuchChannel && err.b === Cmd.MonitorBus);
    assert.equal(r.engine.monitorBus, 1);
  });

  it('a cue send lands on bus 2 at its gain, after the track volume and pan; the main bus is unchanged', () => {
    const frames = 4000;
    const x = noise(frames, 5, 0.6);
    const steps = [
      { frame: 0, track: 1, command: 'record' },
      { frame: 1000, track: 1, command: 'play' },
      { frame: 0, track: 1, command: 'volume', value: 0.8 },
      { frame: 0, track: 1, command: 'pan', value: 0.3 },
      { frame: 0, track: 2, command: 'record' },
      { frame: 700, track: 2, command: 'play' },
    ];
    const cue = run(plain({ tracks: 2, outputBuses: 3, stems: true }), x, frames, [
      ...steps,
      { frame: 0, track: 1, command: 'cueBus', value: 2 },
      { frame: 0, track: 1, command: 'cueSend', value: 0.25 },
    ], 256);
    const one = run(plain({ tracks: 2, stems: true }), x, frames, steps, 256);
    const stem1 = one.stems[0];
    for (let i = 1000; i < frames; i++) {
      assert.equal(cue.out[6 * i], one.out[2 * i], `bus 1 left at ${i}`);
      assert.equal(cue.out[6 * i + 1], one.out[2 * i + 1], `bus 1 right at ${i}`);
      assert.equal(cue.out[6 * i + 2], f(stem1[2 * i] * f(0.25)), `bus 2 left at ${i}`);
      assert.equal(cue.out[6 * i + 3], f(stem1[2 * i + 1] * f(0.25)), `bus 2 right at ${i}`);
      assert.equal(cue.out[6 * i + 4], 0, 'bus 3 is silent');
    }
    assert.ok(stem1.subarray(2000).some((v) => v !== 0));
    assert.deepEqual(bits(cue.stems[0]), bits(stem1), 'the stem');
    const info = cue.engine.trackInfo(1);
    assert.equal(info.cueBus, 2);
    assert.equal(info.cueSend, 0.25);
  });

  it('master volume is on bus 1 only; every bus is limited', () => {
    const x = noise(2000, 9, 0.9);
    const r = run(plain({ tracks: 1, outputBuses: 2, masterVolume: 0.5 }), x, 2000, [
      { frame: 0, track: 1, command: 'record' },
      { frame: 500, track: 1, command: 'play' },
      { frame: 0, track: 1, command: 'volume', value: 2 },
      { frame: 0, track: 1, command: 'cueBus', value: 2 },
    ], 128);
    const stem = r.engine.loopData(1)!;
    for (let i = 500; i < 2000; i++) {
      const s = f(stem[2 * (i % 500)] * 2);
      assert.equal(r.out[4 * i], f(s * 0.5));
      assert.equal(r.out[4 * i + 2], Math.max(-1, Math.min(1, s)));
    }
  });
});

describe('engine routing: meters', () => {
  it('per-channel input peaks', () => {
    const x = multiChannel(256, 3);
    const e = new Engine(plain({ inputChannels: 3, maxBlockFrames: 256 }));
    e.inputView().set(x);
    e.process(256);
    for (let c = 0; c < 3; c++) {
      let peak = 0;
      for (let i = 0; i < 256; i++) peak = Math.max(peak, Math.abs(x[i * 3 + c]));
      assert.equal(e.memory[e.inputMeters + c], f(peak), `channel ${c + 1}`);
    }
  });

  it('per-track peak and sum of squares: the loop at the track gain, silent when muted', () => {
    const e = new Engine(plain({ tracks: 2, trackMeters: true, maxBlockFrames: 100 }));
    const loop = new Float32Array(200);
    for (let i = 0; i < 100; i++) {
      loop[2 * i] = i % 2 ? 0.5 : -0.25;
      loop[2 * i + 1] = 0.1;
    }
    e.loadLoop(1, loop, 0);
    e.command(Cmd.Volume, 1, 0, 0.5);
    e.process(100);
    const m = e.memory;
    const at = e.trackMeters;
    assert.equal(m[at], f(0.25));
    assert.ok(Math.abs(m[at + 1] - 0.05) < 1e-7);
    assert.ok(Math.abs(m[at + 2] - 50 * (0.25 + 0.0625) * 0.25) < 1e-5, `sum of squares left ${m[at + 2]}`);
    assert.ok(Math.abs(m[at + 3] - 100 * 0.01 * 0.25) < 1e-5);
    assert.deepEqual([...m.subarray(at + 4, at + 8)], [0, 0, 0, 0], 'track 2 is empty');
    e.command(Cmd.Mute, 1, 100);
    e.process(100);
    e.process(100);
    assert.deepEqual([...m.subarray(at, at + 4)], [0, 0, 0, 0], 'muted');
  });
});

describe('engine routing: names, commands and options', () => {
  it('source names and codes', () => {
    assert.equal(sourceCode('all', 4), 0);
    assert.equal(sourceCode('3', 4), 3);
    assert.equal(sourceCode(2, 4), 2);
    assert.equal(sourceCode('3-4', 4), -3);
    assert.match(String(sourceCode('4-5', 4)), /pair 4-5 is out of range/);
    assert.match(String(sourceCode('1-3', 4)), /not two adjacent channels/);
    assert.match(String(sourceCode('5', 4)), /channel 5 is out of range/);
    assert.match(String(sourceCode('left', 4)), /not an input source; accepted: "all"/);
    for (const code of [0, 1, 4, -1, -3]) {
      assert.equal(sourceCode(sourceName(code), 4), code);
      assert.equal(sourceCode(code, 4), code, 'a code parses as itself (the IPC carries codes)');
    }
    assert.match(String(sourceCode(-4, 4)), /pair 4-5 is out of range/);
  });

  it('commands validate their values, naming the field', () => {
    assert.equal(parseCommand({ command: 'input', track: 1, value: '1-2' }, 8).value, -1);
    assert.throws(() => parseCommand({ command: 'input', track: 1, value: 'guitar' }, 8), (e: InputError) => e.field === 'value' && /accepted: "all"/.test(e.message));
    assert.throws(() => parseCommand({ command: 'cueBus', track: 1, value: 1.5 }, 8), InputError);
    assert.throws(() => parseCommand({ command: 'metronomeBus', value: 0 }, 8), /from 1 to 16/);
    assert.equal(parseCommand({ command: 'monitorInput', value: 'all' }, 8).track, 0);
  });

  it('a source the engine lacks is an error event and leaves the track as it was', () => {
    const r = run(plain({ tracks: 1 }), null, 256, [{ frame: 0, track: 1, command: 'input', value: '3' }], 256);
    const err = r.events.find((e) => e.type === EventType.Error);
    assert.ok(err && err.a === ErrorCode.NoSuchChannel && err.b === Cmd.Input && err.track === 1);
    assert.equal(r.engine.trackInfo(1).source, 0);
  });

  it('options: channel counts, buses and the monitor source are checked against each other', () => {
    const o = engineOptions({ inputChannels: 4, outputBuses: 2, metronomeBus: 2, monitorInput: '3-4' });
    assert.deepEqual([o.inputChannels, o.outputBuses, o.metronomeBus, o.monitorBus, o.monitorInput], [4, 2, 2, 1, -3]);
    assert.throws(() => engineOptions({ outputBuses: 2, metronomeBus: 3 }), /metronomeBus: 3 is out of range; accepted: an integer from 1 to 2/);
    assert.throws(() => engineOptions({ inputChannels: 2, monitorInput: '3' }), /monitorInput: channel 3 is out of range/);
    assert.throws(() => engineOptions({ inputChannels: 33 }), /inputChannels: 33 is out of range/);
  });

  it('int16 device views follow the channel counts', () => {
    const e = new Engine(plain({ inputChannels: 3, outputBuses: 2, maxBlockFrames: 17, monitor: true, monitorInput: 3 }));
    assert.equal(e.pcmInView().length, 17 * 3);
    assert.equal(e.pcmOutView().length, 17 * 4);
    const pcm = e.pcmInView();
    for (let i = 0; i < pcm.length; i++) pcm[i] = (i % 3) * 1000 + i;
    e.decodeInput(17);
    e.process(17);
    e.encodeOutput(17);
    const out = e.pcmOutView();
    for (let i = 0; i < 17; i++) {
      const ch3 = 2000 + i * 3 + 2;
      assert.equal(out[4 * i], Math.trunc(f(f(ch3 / 32768) * 32767)), `frame ${i}: channel 3 on bus 1 left`);
      assert.equal(out[4 * i + 1], out[4 * i]);
      assert.equal(out[4 * i + 2], 0);
    }
  });
});
