import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseScript, render } from '../../lib/cli/render';
import { Autosave } from '../../lib/session/autosave';
import { exportInWorker, mixSourceFromEngine, mixSourceFromSession, renderMixdown } from '../../lib/session/export';
import { SessionLibrary } from '../../lib/session/library';
import { readWav, writeWavAtomicSync } from '../../lib/session/wav';
import { noise } from '../engine/harness';
import { tempDir } from '../fixtures/wav';
import { Driver, firstDifference } from './driver';

// save -> load -> render equals the original render, bit for bit: a script is rendered by `loopstation
// render`'s own render(), the same script is played through an engine with autosave and saved by name
// mid-way, and a fresh engine that loads the named session renders exactly what the original did from
// there on (loops, mixer, tempo and metronome included).

const RATE = 48000;
const s = (seconds: number) => Math.round(seconds * RATE);
const SAVE_AT = s(15);
const END = s(20);

const SCRIPT = {
  sampleRate: RATE, blockSize: 256, bpm: 120, beatsPerBar: 4, quantize: 'bar', crossfadeFrames: 128, inputLatencyFrames: 64,
  monitor: true, tracks: 3, memoryMiB: 64, metronome: { enabled: true, volume: 0.5 },
  input: 'input.wav', durationSeconds: END / RATE,
  events: [
    { at: 0.3, track: 1, command: 'record' },
    { at: 5.0, track: 1, command: 'play' },
    { at: 6.1, track: 2, command: 'record' },
    { at: 6.5, track: 1, command: 'overdub' },
    { at: 8.5, track: 2, command: 'play' },
    { at: 8.7, track: 3, command: 'record' },
    { at: 9.5, track: 1, command: 'play' },
    { at: 10.2, track: 2, command: 'volume', value: 0.7 },
    { at: 10.2, track: 2, command: 'pan', value: 0.3 },
    { at: 10.3, track: 3, command: 'play' },
    { at: 12.5, track: 3, command: 'stop' },
    { at: 13.0, command: 'masterVolume', value: 0.9 },
  ],
  outputs: { mix: 'out.wav' },
};

describe('session: save -> load -> render', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir();
    writeWavAtomicSync(tmp.file('input.wav'), noise(s(10.5), 5, 0.4), 2, RATE, 'float32');
  });
  after(() => tmp.remove());

  it('equals the original render bit for bit, and so do the exported mixdown and stems', async () => {
    const script = parseScript(SCRIPT, tmp.dir);
    const original = render(script).mix;
    const steps = script.events.map((e) => ({ frame: e.frame, command: e.name, track: e.track, value: e.value }));

    // the same script, live, with autosave; saved by name at SAVE_AT
    const live = new Driver(script.options, script.input, steps, 256);
    const lib = new SessionLibrary(tmp.file('sessions'));
    const autosave = new Autosave(live.engine, lib.autosaveDir);
    const before = live.runTo(SAVE_AT, () => autosave.afterBlock());
    await lib.save('take 1', autosave);
    const afterSave = live.runTo(END, () => autosave.afterBlock());
    await autosave.close();
    assert.equal(firstDifference(before, original.subarray(0, SAVE_AT * 2)), -1, 'the live run is the render');
    assert.equal(firstDifference(afterSave, original.subarray(SAVE_AT * 2)), -1, 'the live run is the render');

    // a fresh engine loads the named session and renders silence in
    const loaded = new Driver(script.options, null, [], 256);
    const report = await lib.load('take 1', loaded.engine);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.tracks.map((t) => [t.track, t.layers, t.current, t.state]), [[1, 2, 1, 'playing'], [2, 1, 0, 'playing'], [3, 1, 0, 'stopped']]);
    const replay = loaded.runTo(END);
    const diff = firstDifference(replay.subarray(SAVE_AT * 2), original.subarray(SAVE_AT * 2));
    assert.equal(diff, -1, `differs at frame ${SAVE_AT + Math.floor(diff / 2)}`);
    assert.ok(original.subarray(SAVE_AT * 2).some((x) => Math.abs(x) > 0.1), 'the compared part is not silence');

    // export: from the live engine, from the saved session, and through the worker
    const fromLive = renderMixdown(mixSourceFromEngine(live.engine), 2);
    const fromDisk = renderMixdown((await mixSourceFromSession(lib.dirOf('take 1'))).source, 2);
    assert.equal(fromLive.frames, 2 * s(4));
    assert.equal(firstDifference(fromDisk.mix, fromLive.mix), -1);
    assert.deepEqual(fromDisk.stems.map((x) => x.track), [1, 2, 3]);
    fromLive.stems.forEach((stem, i) => assert.equal(firstDifference(fromDisk.stems[i].data, stem.data), -1));
    assert.ok(fromLive.stems[2].data.every((x) => x === 0), 'a stopped track is silent in its stem');
    const { files } = await exportInWorker(mixSourceFromEngine(live.engine), { mix: tmp.file('mix.wav'), stemsDir: tmp.file('stems') }, 2);
    assert.deepEqual(files.map((f) => path.relative(tmp.dir, f)), ['mix.wav', 'stems/track1.wav', 'stems/track2.wav', 'stems/track3.wav']);
    assert.equal(firstDifference(readWav(tmp.file('mix.wav'), { sampleRate: RATE }).data, fromLive.mix), -1);
    assert.equal(firstDifference(readWav(tmp.file('stems/track2.wav'), { sampleRate: RATE }).data, fromLive.stems[1].data), -1);
    // from the autosave folder: the host's thread copies nothing
    const fromFolder = await exportInWorker({ sessionDir: lib.autosaveDir }, { mix: tmp.file('mix2.wav') }, 2);
    assert.deepEqual(fromFolder.problems, []);
    assert.equal(firstDifference(readWav(tmp.file('mix2.wav'), { sampleRate: RATE }).data, fromLive.mix), -1);

    // the export's first frame is the master loop's position 0: track 1 alone (track 2 at 0.7, panned) sums to the mix
    const t1 = live.engine.tracks[0];
    const loop1 = live.engine.memory.subarray(t1.layerLoop[t1.layerIndex], t1.layerLoop[t1.layerIndex] + 8);
    assert.deepEqual(Array.from(fromLive.stems[0].data.subarray(0, 8)), Array.from(loop1));
  });

  it('the export worker reports a bad request as an error, not a crash', async () => {
    await assert.rejects(exportInWorker({ sampleRate: RATE, masterVolume: 1, masterTrack: 0, tracks: [] }, { mix: tmp.file('x.wav') }), /nothing to export/);
    assert.equal(fs.existsSync(tmp.file('x.wav')), false);
  });
});
