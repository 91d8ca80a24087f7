import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../../lib/engine/engine';
import { Autosave } from '../../lib/session/autosave';
import { encodeCaptureHeader } from '../../lib/session/capture';
import { SessionLibrary } from '../../lib/session/library';
import { Manifest } from '../../lib/session/manifest';
import { RestoreReport, restoreSession } from '../../lib/session/restore';
import { noise, plain } from '../engine/harness';
import { tempDir } from '../fixtures/wav';
import { Driver, firstDifference, layersOf } from './driver';

// Damaged sessions: whatever is broken is reported in one line naming the file, and everything else
// still loads.

const RATE = 48000;
const s = (seconds: number) => Math.round(seconds * RATE);
const OPTIONS = plain({ sampleRate: RATE, tracks: 2, memoryMiB: 16 });
const STEPS = [
  { frame: s(0.1), track: 1, command: 'record' },
  { frame: s(0.6), track: 1, command: 'overdub' },
  { frame: s(1.1), track: 1, command: 'overdub' },
  { frame: s(1.6), track: 1, command: 'overdub' },
  { frame: s(2.1), track: 1, command: 'play' },
  { frame: s(2.2), track: 2, command: 'record' },
  { frame: s(2.5), track: 2, command: 'play' },
];

describe('session: damaged files', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dir: string;
  let original: Engine;
  let manifest: Manifest;
  before(async () => {
    tmp = tempDir();
    dir = path.join(tmp.dir, 'session');
    const d = new Driver(OPTIONS, noise(s(3), 3), STEPS, 512);
    const autosave = new Autosave(d.engine, dir);
    d.runTo(s(3), () => autosave.afterBlock());
    await autosave.close();
    original = d.engine;
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'session.json'), 'utf8'));
    assert.deepEqual(manifest.tracks.map((t) => t.layers.length), [3, 1]);
  });
  after(() => tmp.remove());

  /** A copy of the session with `damage` done to it, restored into a fresh engine. */
  async function restoreDamaged(damage: (copy: string) => void): Promise<{ engine: Engine; report: RestoreReport; copy: string }> {
    const copy = fs.mkdtempSync(path.join(tmp.dir, 'copy-'));
    fs.cpSync(dir, copy, { recursive: true });
    damage(copy);
    const engine = new Engine(OPTIONS);
    const report = await restoreSession(engine, copy);
    engine.process(1);
    return { engine, report, copy };
  }
  const layerFile = (copy: string, track: number, i: number) => path.join(copy, 'layers', manifest.tracks[track - 1].layers[i].file);
  const same = (engine: Engine, track: number, wantIndexes: number[]) => {
    const got = layersOf(engine, track).layers;
    const want = layersOf(original, track).layers;
    assert.equal(got.length, wantIndexes.length);
    wantIndexes.forEach((w, i) => assert.equal(firstDifference(got[i].data, want[w].data), -1, `track ${track} layer ${i} is original layer ${w}`));
  };

  it('a truncated layer WAV: reported by name, the other layers and tracks load, the undo position moves down', async () => {
    const { engine, report, copy } = await restoreDamaged((c) => {
      const f = layerFile(c, 1, 2);
      fs.truncateSync(f, fs.statSync(f).size - 1000);
    });
    assert.equal(report.problems.length, 1);
    assert.ok(report.problems[0].startsWith(`track 1: layer 3 not restored: ${layerFile(copy, 1, 2)}: truncated data chunk`), report.problems[0]);
    same(engine, 1, [0, 1]);
    same(engine, 2, [0]);
    assert.equal(engine.tracks[0].layerIndex, 1);
  });

  it('a layer WAV cut to a few bytes, and one that is not a WAV at all', async () => {
    const { engine, report } = await restoreDamaged((c) => {
      fs.writeFileSync(layerFile(c, 1, 0), fs.readFileSync(layerFile(c, 1, 0)).subarray(0, 20));
      fs.writeFileSync(layerFile(c, 2, 0), 'not audio');
    });
    assert.equal(report.problems.length, 2);
    assert.match(report.problems[0], /^track 1: layer 1 not restored: .*t1-.*\.wav: /);
    assert.match(report.problems[1], /^track 2: layer 1 not restored: .*not a WAV file/);
    same(engine, 1, [1, 2]);
    same(engine, 2, []);
  });

  it('a missing layer file', async () => {
    const { engine, report } = await restoreDamaged((c) => fs.rmSync(layerFile(c, 1, 1)));
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0], /^track 1: layer 2 not restored: .*: file not found$/);
    same(engine, 1, [0, 2]);
    same(engine, 2, [0]);
  });

  it('a layer replaced by a shorter valid WAV: its length does not match the manifest', async () => {
    const { report, engine } = await restoreDamaged((c) => fs.copyFileSync(layerFile(c, 2, 0), layerFile(c, 1, 0)));
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0], /holds \d+ frames at 48000 Hz, the manifest says \d+ at 48000 Hz/);
    same(engine, 1, [1, 2]);
  });

  it('a garbage session.json: restored from the backup, with a note', async () => {
    const { engine, report } = await restoreDamaged((c) => fs.writeFileSync(path.join(c, 'session.json'), '\u0000\u0000garbage'));
    assert.equal(report.restored, true);
    assert.equal(report.problems.length, 2);
    assert.match(report.problems[0], /session\.json: not valid JSON/);
    assert.match(report.problems[1], /restored from .*session\.bak\.json/);
    same(engine, 1, [0, 1, 2]);
    same(engine, 2, [0]);
  });

  it('a truncated session.json and a missing backup', async () => {
    const { engine, report, copy } = await restoreDamaged((c) => {
      const f = path.join(c, 'session.json');
      fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 300));
      fs.rmSync(path.join(c, 'session.bak.json'));
    });
    assert.equal(report.restored, false);
    assert.match(report.problems[0], /session\.json: not valid JSON .*cut off/);
    assert.match(report.problems[1], /session\.bak\.json: missing/);
    same(engine, 1, []);
    assert.equal(fs.readdirSync(path.join(copy, 'layers')).length, 4, 'layer files are kept when no manifest says which are current');
  });

  it('a manifest naming a file outside the session: refused, the backup is used', async () => {
    const { report, engine } = await restoreDamaged((c) => {
      const m = JSON.parse(fs.readFileSync(path.join(c, 'session.json'), 'utf8'));
      m.tracks[0].layers[0].file = '../../../etc/passwd';
      fs.writeFileSync(path.join(c, 'session.json'), JSON.stringify(m));
    });
    assert.match(report.problems[0], /tracks\[0\]\.layers\[0\]\.file: "..\/..\/..\/etc\/passwd"; accepted: a plain \.wav file name/);
    same(engine, 1, [0, 1, 2]);
  });

  it('a damaged capture file is reported and left in place; an empty one is dropped', async () => {
    const { report, copy } = await restoreDamaged((c) => {
      fs.writeFileSync(path.join(c, 'capture', 'bad.cap'), 'LSCAPT01\u00ff\u00ff');
      const header = encodeCaptureHeader({
        version: 1, track: 1, kind: 'record', sampleRate: RATE, startPos: 0, len: 0, anchor: 0, began: 5, base: null, createdAt: '',
      });
      fs.writeFileSync(path.join(c, 'capture', 'empty.cap'), Buffer.concat([header, Buffer.alloc(5)]));
    });
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0], /bad\.cap: capture header cut off or damaged; the file is left in place/);
    assert.deepEqual(fs.readdirSync(path.join(copy, 'capture')), ['bad.cap']);
    assert.deepEqual(report.recovered, []);
  });

  it('a 0-byte capture (the disk was full when it was made) is removed and reported once, not at every restart', async () => {
    const { report, copy } = await restoreDamaged((c) => fs.writeFileSync(path.join(c, 'capture', 't1-abc-5.cap'), ''));
    assert.deepEqual(report.problems, [`${path.join(copy, 'capture', 't1-abc-5.cap')}: empty capture (nothing was written to it, the disk may have been full); removed`]);
    assert.deepEqual(fs.readdirSync(path.join(copy, 'capture')), []);
    const again = await restoreSession(new Engine(OPTIONS), copy);
    assert.deepEqual(again.problems, []);
  });

  it('an interrupted overdub is reported with how much of the pass came back, and the loop length apart', async () => {
    const root = path.join(tmp.dir, 'od');
    const steps = [{ frame: s(0.1), track: 1, command: 'record' }, { frame: s(1.1), track: 1, command: 'overdub' }];
    const d = new Driver(OPTIONS, noise(s(2), 4), steps, 512);
    const autosave = new Autosave(d.engine, root);
    d.runTo(s(1.5), () => autosave.afterBlock());
    await autosave.close(); // the overdub is still running: its capture stays, like after a kill
    const report = await restoreSession(new Engine(OPTIONS), root);
    assert.equal(report.recovered.length, 1);
    const take = report.recovered[0];
    assert.equal(take.kind, 'overdub');
    assert.equal(take.loopFrames, s(1.0));
    // the pass ran from its start (1.1 s plus the input latency) to 1.5 s
    assert.ok(take.frames > 0 && take.frames < s(0.4) + 1, `${take.frames} frames of the pass`);
    assert.equal(take.seconds, take.frames / RATE);
  });

  it('a damaged named session is listed with its problem; the others are listed normally', async () => {
    const root = path.join(tmp.dir, 'lib');
    const lib = new SessionLibrary(root);
    await lib.save('good', dir);
    await lib.save('bad', dir);
    fs.writeFileSync(path.join(root, 'sessions', 'bad', 'session.json'), '{');
    fs.writeFileSync(path.join(root, 'sessions', 'bad', 'session.bak.json'), '');
    const list = await lib.list();
    assert.deepEqual(list.map((x) => x.name), ['bad', 'good']);
    assert.match(list[0].problem ?? '', /session\.json: not valid JSON.*; .*session\.bak\.json: not valid JSON/);
    assert.equal(list[1].problem, undefined);
    assert.equal(list[1].tracks, 2);
    assert.equal(list[1].layers, 4);
  });
});
