import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../../lib/engine/engine';
import { Cmd, State } from '../../lib/engine/types';
import { Autosave } from '../../lib/session/autosave';
import { parseManifest } from '../../lib/session/manifest';
import { restoreSession } from '../../lib/session/restore';
import { noise, plain } from '../engine/harness';
import { tempDir } from '../fixtures/wav';
import { Driver, firstDifference, layersOf } from './driver';

const RATE = 48000;
const s = (seconds: number) => Math.round(seconds * RATE);

function assertSameLayers(got: Engine, want: Engine, track: number, count = layersOf(want, track).layers.length): void {
  const a = layersOf(got, track);
  const b = layersOf(want, track);
  assert.equal(a.layers.length, count, `track ${track}: layer count`);
  for (let i = 0; i < count; i++) {
    assert.equal(a.layers[i].anchor, b.layers[i].anchor, `track ${track} layer ${i}: anchor`);
    assert.equal(firstDifference(a.layers[i].data, b.layers[i].data), -1, `track ${track} layer ${i}: samples differ`);
  }
}

describe('session/autosave', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  const options = plain({ sampleRate: RATE, tracks: 4, crossfadeFrames: 64, inputLatencyFrames: 100, memoryMiB: 32 });
  const input = noise(s(12), 7);
  const steps = [
    { frame: s(0.1), track: 1, command: 'record' },
    { frame: s(1.1), track: 1, command: 'play' },
    { frame: s(1.5), track: 1, command: 'overdub' },
    { frame: s(2.9), track: 1, command: 'play' },
    { frame: s(3.0), track: 2, command: 'record' },
    { frame: s(3.7), track: 2, command: 'play' },
    { frame: s(3.8), track: 2, command: 'volume', value: 0.5 },
    { frame: s(3.8), track: 2, command: 'pan', value: -0.25 },
    { frame: s(3.9), track: 1, command: 'overdub' },
    { frame: s(4.6), track: 1, command: 'play' },
    { frame: s(4.8), track: 1, command: 'undo' },
    { frame: s(4.9), track: 3, command: 'record' },
    { frame: s(5.2), track: 3, command: 'stop' },
  ];

  it('writes every completed pass, the undo position and the mixer; a fresh engine restores them sample-exact', async () => {
    const d = new Driver(options, input, steps, 256);
    const autosave = new Autosave(d.engine, tmp.dir);
    d.runTo(s(6), () => autosave.afterBlock());
    await autosave.flush();

    const m = parseManifest(fs.readFileSync(path.join(tmp.dir, 'session.json'), 'utf8'), 'session.json');
    assert.deepEqual(m.tracks.map((t) => [t.track, t.layers.length, t.current, t.state]), [
      [1, 3, 1, 'playing'], [2, 1, 0, 'playing'], [3, 1, 0, 'stopped'], [4, 0, -1, 'empty'],
    ]);
    assert.deepEqual([m.tracks[1].volume, m.tracks[1].pan], [0.5, -0.25]);
    assert.deepEqual(fs.readdirSync(path.join(tmp.dir, 'capture')), [], 'captures of completed passes are deleted');
    assert.equal(fs.readdirSync(path.join(tmp.dir, 'layers')).length, 5);

    const fresh = new Engine(options);
    const report = await restoreSession(fresh, tmp.dir);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.recovered, []);
    fresh.process(1); // applies the undo steps
    for (const t of [1, 2, 3]) assertSameLayers(fresh, d.engine, t);
    assert.equal(fresh.tracks[0].layerIndex, 1);
    assert.equal(fresh.tracks[2].state, State.Stopped);
    assert.equal(fresh.tracks[1].volume, 0.5);
    assert.equal(fresh.masterTrack, 1);
  });
  it('a multiply begun mid-loop (its layer begins where the loop\'s pass began) is saved and restored sample-exact', async () => {
    const multiply = [
      { frame: s(0.1), track: 1, command: 'record' },
      { frame: s(1.1), track: 1, command: 'play' },
      { frame: s(2.6), track: 1, command: 'multiply' },
      { frame: s(3.9), track: 1, command: 'multiply' },
    ];
    const d = new Driver(options, input, multiply, 256);
    const autosave = new Autosave(d.engine, tmp.dir);
    d.runTo(s(6), () => autosave.afterBlock());
    await autosave.flush();
    assert.equal(d.engine.trackInfo(1).frames, s(2));
    const fresh = new Engine(options);
    const report = await restoreSession(fresh, tmp.dir);
    assert.deepEqual(report.problems, []);
    fresh.process(1);
    assertSameLayers(fresh, d.engine, 1, 2);
  });

  it('a cleared track\'s files go once a manifest without them is on the disk; redo layers are saved too', async () => {
    const d = new Driver(options, input, steps, 256);
    const autosave = new Autosave(d.engine, tmp.dir);
    d.runTo(s(6), () => autosave.afterBlock());
    await autosave.flush();
    const files = () => fs.readdirSync(path.join(tmp.dir, 'layers')).map((f) => f.split('-')[0]).sort();
    assert.deepEqual(files(), ['t1', 't1', 't1', 't2', 't3']);
    d.engine.command(Cmd.Clear, 1, d.engine.frame);
    d.runTo(s(6.1), () => autosave.afterBlock());
    await autosave.close();
    assert.deepEqual(files(), ['t2', 't3']);
    const m = parseManifest(fs.readFileSync(path.join(tmp.dir, 'session.json'), 'utf8'), 'session.json');
    assert.deepEqual([m.tracks[0].layers, m.tracks[0].current, m.tracks[0].state], [[], -1, 'empty']);
  });

  it('a folder it cannot write is reported through onError; the engine and afterBlock() carry on', async () => {
    fs.writeFileSync(tmp.file('file'), 'not a folder');
    const errors: string[] = [];
    const d = new Driver(options, input, steps.slice(0, 2), 256);
    const autosave = new Autosave(d.engine, path.join(tmp.file('file'), 'session'), { onError: (e) => errors.push(e.message) });
    d.runTo(s(2), () => autosave.afterBlock());
    await autosave.close();
    assert.ok(errors.length > 0);
    assert.match(errors[0], /cannot write/);
    assert.equal(d.engine.tracks[0].layerCount, 1);
  });
});
