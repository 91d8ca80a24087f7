import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseCommand } from '../../lib/engine/commands';
import { Engine } from '../../lib/engine/engine';
import { SOURCE_ALL } from '../../lib/engine/routing';
import { Quantize } from '../../lib/engine/types';
import { Autosave } from '../../lib/session/autosave';
import { busFile, mixSourceFromEngine, mixSourceFromSession, renderMixdown, writeMixdown } from '../../lib/session/export';
import { SessionLibrary } from '../../lib/session/library';
import { MANIFEST_VERSION, parseManifest } from '../../lib/session/manifest';
import { clearAll, restoreSession } from '../../lib/session/restore';
import { readWav, writeWavAtomicSync } from '../../lib/session/wav';
import { Step, noise, plain } from '../engine/harness';
import { tempDir } from '../fixtures/wav';
import { Driver, LayerCopy, firstDifference, layersOf } from './driver';
import { V1_MANIFEST } from './fixtures';

// Loops, per-loop settings and routing in sessions: each kept field goes through autosave and restore
// (after a crash, and a named load into a running engine) and the restored engine plays and records on
// sample for sample as the original; a version 1 manifest loads with the settings every track had then;
// a session from a bigger interface loads into a stereo engine with one problem line per dropped
// choice; the export writes each cue bus in use beside the main mix, checked sample by sample.

const RATE = 48000;
const s = (seconds: number) => Math.round(seconds * RATE);
const BLOCK = 256;
/** 4 inputs, 3 output buses, the monitor and the click on */
const OPTIONS = plain({
  sampleRate: RATE, tracks: 4, inputChannels: 4, outputBuses: 3, quantize: 'bar', crossfadeFrames: 64, inputLatencyFrames: 100,
  memoryMiB: 32, monitor: true, metronome: { enabled: true },
});
/** 10 s of 4-channel noise */
const INPUT = noise(s(10) * 2, 21);
const SAVE_AT = s(5);
const END = s(9);

/** Every kept setting is moved off its default before the save. */
const BEFORE_SAVE: Step[] = [
  { frame: 0, track: 1, command: 'input', value: '3' },
  { frame: 0, track: 2, command: 'input', value: '3-4' },
  { frame: 0, track: 1, command: 'quantize', value: 'beat' },
  { frame: 0, track: 2, command: 'quantize', value: 'off' },
  { frame: 0, track: 4, command: 'quantize', value: 'off' },
  { frame: 0, track: 1, command: 'inputGain', value: 0.5 },
  { frame: 0, track: 2, command: 'inputGain', value: 1.5 },
  { frame: s(0.3), track: 1, command: 'record' },
  { frame: s(1.0), track: 2, command: 'record' },
  { frame: s(2.3), track: 1, command: 'play' },
  { frame: s(3.0), track: 2, command: 'play' },
  { frame: s(3.2), track: 1, command: 'feedback', value: 0.75 },
  { frame: s(3.2), track: 1, command: 'volume', value: 0.8 },
  { frame: s(3.2), track: 1, command: 'pan', value: -0.3 },
  { frame: s(3.3), track: 1, command: 'cueBus', value: 2 },
  { frame: s(3.3), track: 1, command: 'cueSend', value: 0.5 },
  { frame: s(3.3), track: 2, command: 'cueBus', value: 2 },
  { frame: s(3.3), track: 2, command: 'cueSend', value: 2 },
  { frame: s(3.3), track: 4, command: 'cueBus', value: 3 },
  { frame: s(3.3), track: 4, command: 'cueSend', value: 0.25 },
  { frame: s(3.4), track: 3, command: 'deleteLoop' },
  { frame: s(3.5), command: 'metronomeBus', value: 2 },
  { frame: s(3.5), command: 'monitorBus', value: 3 },
  { frame: s(3.5), command: 'monitorInput', value: '2' },
];
/** After the save, on the original and on the restored engine alike: each loop's own settings at work. */
const AFTER_SAVE: Step[] = [
  { frame: s(6.1), track: 1, command: 'overdub' }, // on the beat, input 3 at 0.5, feedback 0.75
  { frame: s(6.2), track: 4, command: 'record' }, // at once, input "all", sent to bus 3
  { frame: s(6.3), track: 2, command: 'overdub' }, // at once, input 3-4 at 1.5
  { frame: s(7.0), track: 4, command: 'play' },
  { frame: s(7.3), track: 1, command: 'play' },
  { frame: s(7.9), track: 2, command: 'play' },
  { frame: s(8.0), track: 3, command: 'record' }, // deleted: refused
];

/** Every setting a session keeps, as an engine holds them. */
function kept(e: Engine): Record<string, unknown> {
  return {
    tracks: e.tracks.map((tr) => ({
      live: tr.live, quantize: tr.quantize, feedback: tr.feedback, inputGain: tr.inputGain, source: tr.source, cueBus: tr.cueBus, cueSend: tr.cueSend,
      volume: tr.volume, pan: tr.pan, muted: tr.muted, soloed: tr.soloed, state: tr.state,
    })),
    quantize: e.quantize, metronomeBus: e.metronomeBus, monitorBus: e.monitorBus, monitorInput: e.monitorInput, masterTrack: e.masterTrack,
  };
}

/** The original: played to SAVE_AT with an autosave in `dir`, what it held then, and its driver to play on. */
async function savedSession(dir: string): Promise<{ live: Driver; atSave: Record<string, unknown>; layers: LayerCopy[][] }> {
  const live = new Driver(OPTIONS, INPUT, [...BEFORE_SAVE, ...AFTER_SAVE], BLOCK);
  const autosave = new Autosave(live.engine, dir, { onError: (err) => assert.fail(err) });
  live.runTo(SAVE_AT, () => autosave.afterBlock());
  await autosave.close();
  return { live, atSave: kept(live.engine), layers: [1, 2, 3, 4].map((t) => layersOf(live.engine, t).layers) };
}

function assertLayers(e: Engine, want: LayerCopy[][], shift = 0): void {
  want.forEach((layers, i) => {
    const got = layersOf(e, i + 1).layers;
    assert.equal(got.length, layers.length, `track ${i + 1}: layer count`);
    layers.forEach((l, k) => {
      assert.equal(got[k].anchor, l.anchor + shift, `track ${i + 1} layer ${k}: anchor`);
      assert.equal(firstDifference(got[k].data, l.data), -1, `track ${i + 1} layer ${k}: samples differ`);
    });
  });
}

/** Stereo bus `bus` (1-based) of a Driver's output of `buses` interleaved buses. */
function busOf(out: Float32Array, bus: number, buses: number): Float32Array {
  const frames = out.length / (2 * buses);
  const x = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    x[2 * i] = out[i * 2 * buses + 2 * (bus - 1)];
    x[2 * i + 1] = out[i * 2 * buses + 2 * (bus - 1) + 1];
  }
  return x;
}

describe('session: loops, per-loop settings and routing', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('the manifest keeps every field; after a restart the engine plays and records on sample for sample as the original', async () => {
    const { live, atSave, layers } = await savedSession(tmp.dir);
    const original = live.runTo(END);

    const m = parseManifest(fs.readFileSync(path.join(tmp.dir, 'session.json'), 'utf8'), 'session.json');
    assert.equal(m.version, MANIFEST_VERSION);
    assert.deepEqual(m.tracks.map((t) => [t.track, t.live, t.quantize, t.feedback, t.inputGain, t.source, t.cueBus, t.cueSend]), [
      [1, true, 'beat', 0.75, 0.5, '3', 2, 0.5],
      [2, true, 'off', 1, 1.5, '3-4', 2, 2],
      [3, false, 'bar', 1, 1, 'all', 0, 1],
      [4, true, 'off', 1, 1, 'all', 3, 0.25],
    ]);
    assert.deepEqual([m.metronomeBus, m.monitorBus, m.monitorInput], [2, 3, '2']);

    // track 4 starts free and track 3 a loop: the session turns both around
    const restored = new Driver({ ...OPTIONS, loops: 3 }, INPUT, AFTER_SAVE, BLOCK);
    assert.deepEqual(restored.engine.tracks.map((t) => t.live), [true, true, true, false]);
    const report = await restoreSession(restored.engine, tmp.dir);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(kept(restored.engine), atSave);
    assertLayers(restored.engine, layers);

    // from the save on, every bus (mix, the click and sends on bus 2, the monitor of input 2 and track 4 on bus 3)
    const replay = restored.runTo(END);
    const diff = firstDifference(replay.subarray(SAVE_AT * 6), original);
    assert.equal(diff, -1, `differs at frame ${SAVE_AT + Math.floor(diff / 6)}, bus ${1 + Math.floor((diff % 6) / 2)}`);
    for (const bus of [1, 2, 3]) assert.ok(busOf(original, bus, 3).some((x) => Math.abs(x) > 0.1), `bus ${bus} is not silence`);
    // and what the passes after the save recorded, with each loop's input, gain and feedback
    assertLayers(restored.engine, [1, 2, 3, 4].map((t) => layersOf(live.engine, t).layers));
    assert.deepEqual([1, 2, 3, 4].map((t) => layersOf(live.engine, t).layers.length), [2, 2, 0, 1]);
  });

  it('a named session loaded into a running engine brings them back, a deleted track stays free and an empty loop a loop', async () => {
    const lib = new SessionLibrary(tmp.dir);
    const live = new Driver(OPTIONS, INPUT, BEFORE_SAVE, BLOCK);
    const autosave = new Autosave(live.engine, lib.autosaveDir, { onError: (err) => assert.fail(err) });
    live.runTo(SAVE_AT, () => autosave.afterBlock());
    await lib.save('set', autosave);
    await autosave.close();
    const atSave = kept(live.engine);

    // another engine, its settings moved elsewhere, with a loop of its own
    const other = new Driver({ ...OPTIONS, loops: 3 }, INPUT, [
      { frame: 0, track: 1, command: 'input', value: '2' },
      { frame: 0, track: 3, command: 'cueBus', value: 3 },
      { frame: 0, track: 3, command: 'quantize', value: 'off' },
      { frame: 0, track: 2, command: 'feedback', value: 0.1 },
      { frame: 0, command: 'monitorInput', value: '1-2' },
      { frame: s(0.1), track: 3, command: 'record' },
      { frame: s(1.1), track: 3, command: 'play' },
      { frame: s(1.5), command: 'quantize', value: 'loop' },
    ], BLOCK);
    other.runTo(s(3));
    assert.equal(layersOf(other.engine, 3).layers.length, 1);
    clearAll(other.engine);
    other.runTo(s(3) + BLOCK);
    const report = await lib.load('set', other.engine);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(kept(other.engine), atSave);
    // in phase on the engine's next bar line (2 s at 120 bpm)
    assertLayers(other.engine, [1, 2, 3, 4].map((t) => layersOf(live.engine, t).layers), s(4));
  });

  it('a version 1 manifest loads with the settings every track had then, over whatever the engine had', async () => {
    fs.mkdirSync(tmp.file('layers'));
    fs.copyFileSync(V1_MANIFEST, tmp.file('session.json'));
    const loop = noise(57600, 4);
    writeWavAtomicSync(tmp.file('layers/t1-0a1b2c-1.wav'), loop, 2, RATE, 'float32');

    const engine = new Engine({ ...OPTIONS, loops: 1 });
    for (const c of [
      { track: 1, command: 'input', value: '3' }, { track: 1, command: 'cueBus', value: 2 }, { track: 1, command: 'cueSend', value: 0.3 },
      { track: 1, command: 'feedback', value: 0.2 }, { track: 1, command: 'inputGain', value: 0.4 },
      { command: 'metronomeBus', value: 2 }, { command: 'monitorBus', value: 3 }, { command: 'monitorInput', value: '3-4' },
    ]) {
      const p = parseCommand(c, OPTIONS.tracks);
      engine.command(p.cmd, p.track, 0, p.value);
    }
    engine.process(BLOCK);
    assert.equal(engine.tracks[0].cueBus, 2, 'the engine had other settings');

    const report = await restoreSession(engine, tmp.dir);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.tracks.map((t) => [t.track, t.layers, t.state]), [[1, 1, 'playing']]);
    const fresh = { quantize: Quantize.Beat, feedback: 1, inputGain: 1, source: SOURCE_ALL, cueBus: 0, cueSend: 1 };
    const t = (i: number) => {
      const tr = engine.tracks[i];
      return { live: tr.live, quantize: tr.quantize, feedback: tr.feedback, inputGain: tr.inputGain, source: tr.source, cueBus: tr.cueBus, cueSend: tr.cueSend };
    };
    assert.deepEqual(t(0), { live: true, ...fresh });
    assert.deepEqual(t(1), { live: true, ...fresh }, 'a free track of the engine is a loop again: version 1 had no free tracks');
    assert.deepEqual([t(2).live, t(3).live], [false, false], 'tracks the session does not name stay as they were');
    assert.deepEqual([engine.quantize, engine.metronomeBus, engine.monitorBus, engine.monitorInput], [Quantize.Beat, 1, 1, SOURCE_ALL]);
    assert.deepEqual([engine.tracks[0].volume, engine.tracks[0].pan], [0.8, -0.5]);
    assert.equal(firstDifference(engine.loopData(1) as Float32Array, loop), -1, 'the loop, bit for bit');

    // the autosave carries on in version 2
    const autosave = new Autosave(engine, tmp.dir, { adopted: report.adopted, onError: (err) => assert.fail(err) });
    autosave.afterBlock();
    await autosave.close();
    const m = parseManifest(fs.readFileSync(tmp.file('session.json'), 'utf8'), 'session.json');
    assert.equal(JSON.parse(fs.readFileSync(tmp.file('session.json'), 'utf8')).version, MANIFEST_VERSION);
    assert.deepEqual(m.tracks.map((x) => [x.track, x.live, x.quantize, x.source, x.layers.length]), [
      [1, true, 'beat', 'all', 1], [2, true, 'beat', 'all', 0], [3, false, 'beat', 'all', 0], [4, false, 'beat', 'all', 0],
    ]);
  });

  it('into a stereo engine: a source or bus it lacks falls back with one problem line each, and every loop loads', async () => {
    const { atSave, layers } = await savedSession(tmp.dir);
    const stereo = new Engine({ ...OPTIONS, inputChannels: 2, outputBuses: 1 });
    const report = await restoreSession(stereo, tmp.dir);
    const more = 'the session was saved with more';
    assert.deepEqual(report.problems, [
      `metronome bus 2 not restored: the engine has 1 output bus, ${more}; the click plays on bus 1`,
      `monitor bus 3 not restored: the engine has 1 output bus, ${more}; the input monitor plays on bus 1`,
      `track 1: input "3" not restored: the engine has 2 input channels, ${more}; track 1 records "all"`,
      `track 1: cue send to bus 2 not restored: the engine has 1 output bus, ${more}; track 1 has no cue send`,
      `track 2: input "3-4" not restored: the engine has 2 input channels, ${more}; track 2 records "all"`,
      `track 2: cue send to bus 2 not restored: the engine has 1 output bus, ${more}; track 2 has no cue send`,
      `track 4: cue send to bus 3 not restored: the engine has 1 output bus, ${more}; track 4 has no cue send`,
    ]);
    assert.equal(report.restored, true);
    assertLayers(stereo, layers);
    // the rest as saved: mono input 2 is an input of a stereo engine too
    const want = JSON.parse(JSON.stringify(atSave));
    want.metronomeBus = 1;
    want.monitorBus = 1;
    for (const t of want.tracks) t.cueBus = 0;
    want.tracks[0].source = SOURCE_ALL;
    want.tracks[1].source = SOURCE_ALL;
    assert.deepEqual(kept(stereo), want);
    assert.equal(stereo.monitorInput, 2);
  });

  it('export: bus 1 is the mix as without cue sends, each cue bus in use is its sends at their gains, sample by sample', async () => {
    const { live } = await savedSession(tmp.dir);
    const source = mixSourceFromEngine(live.engine);
    const m = renderMixdown(source, 2);
    // track 4 sends to bus 3 but holds no loop: no file for bus 3
    assert.deepEqual(m.buses.map((b) => b.bus), [2]);
    const stem = (track: number) => (m.stems.find((x) => x.track === track) as { data: Float32Array }).data;
    // bus 2: track 1's stem (post-fader: volume 0.8, pan -0.3) times 0.5 plus track 2's times 2, added as
    // float32 in track order, then the output clamp; no master volume, and no click (the export has none,
    // though the session's click is on bus 2)
    const want = new Float32Array(m.frames * 2);
    const [one, two] = [stem(1), stem(2)];
    for (let i = 0; i < want.length; i++) {
      const sum = Math.fround(Math.fround(one[i] * 0.5) + Math.fround(two[i] * 2));
      want[i] = sum > 1 ? 1 : sum < -1 ? -1 : sum;
    }
    assert.equal(firstDifference(m.buses[0].data, want), -1);
    assert.ok(want.some((x) => Math.abs(x) === 1) && want.some((x) => Math.abs(x) > 0 && Math.abs(x) < 1), 'both the clamp and the sum are exercised');

    // bus 1 and the stems: bit for bit what the same loops give without any cue send
    const noCue = renderMixdown({ ...source, tracks: source.tracks.map((t) => ({ ...t, cueBus: 0 })) }, 2);
    assert.equal(noCue.buses.length, 0);
    assert.equal(firstDifference(m.mix, noCue.mix), -1);
    m.stems.forEach((x, i) => assert.equal(firstDifference(x.data, noCue.stems[i].data), -1));

    // the saved session exports the same
    const fromDisk = renderMixdown((await mixSourceFromSession(tmp.dir)).source, 2);
    assert.equal(firstDifference(fromDisk.mix, m.mix), -1);
    assert.deepEqual(fromDisk.buses.map((b) => b.bus), [2]);
    assert.equal(firstDifference(fromDisk.buses[0].data, m.buses[0].data), -1);

    // the files: mix.wav, mix-bus2.wav beside it, the stems
    fs.mkdirSync(tmp.file('out'));
    const files = await writeMixdown(m, { mix: tmp.file('out/mix.wav'), stemsDir: tmp.file('out/stems') });
    assert.deepEqual(files.map((f) => path.relative(tmp.dir, f)), ['out/mix.wav', 'out/mix-bus2.wav', 'out/stems/track1.wav', 'out/stems/track2.wav']);
    assert.equal(firstDifference(readWav(tmp.file('out/mix.wav'), { sampleRate: RATE }).data, m.mix), -1);
    assert.equal(firstDifference(readWav(tmp.file('out/mix-bus2.wav'), { sampleRate: RATE }).data, want), -1);
    assert.equal(busFile('/x/friday/mix.wav', 3), '/x/friday/mix-bus3.wav');
  });
});
