import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../lib/engine/commands';
import { Cmd } from '../../lib/engine/types';
import { Autosave } from '../../lib/session/autosave';
import { renderMixdown } from '../../lib/session/export';
import { SessionFolder } from '../../lib/session/folder';
import { SessionLibrary } from '../../lib/session/library';
import { clearAll } from '../../lib/session/restore';
import { noise, plain } from '../engine/harness';
import { tempDir } from '../fixtures/wav';
import { Driver, firstDifference, layersOf } from './driver';

const RATE = 48000;
const s = (seconds: number) => Math.round(seconds * RATE);
const OPTIONS = plain({ sampleRate: RATE, tracks: 2, memoryMiB: 16, quantize: 'bar', bpm: 120 });
const STEPS = [
  { frame: s(0.1), track: 1, command: 'record' },
  { frame: s(2.1), track: 1, command: 'play' },
  { frame: s(2.2), track: 2, command: 'record' },
  { frame: s(4.2), track: 2, command: 'play' },
];

/** A live engine with an autosave, run to 7 s: track 1 holds a 1-bar loop from 2 s, track 2 one from 4 s. */
async function liveSession(root: string): Promise<{ driver: Driver; autosave: Autosave; lib: SessionLibrary }> {
  const lib = new SessionLibrary(root);
  const driver = new Driver(OPTIONS, noise(s(7), 9), STEPS, 256);
  const autosave = new Autosave(driver.engine, lib.autosaveDir);
  driver.runTo(s(7), () => autosave.afterBlock());
  await autosave.flush();
  return { driver, autosave, lib };
}

describe('session library', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('save hard-links the autosave\'s layer files; saving again under the name replaces the session', async () => {
    const { driver, autosave, lib } = await liveSession(tmp.dir);
    const first = await lib.save('set', autosave);
    assert.deepEqual([first.name, first.tracks, first.layers, first.seconds], ['set', 2, 2, 2]);
    const layers = fs.readdirSync(path.join(lib.dirOf('set'), 'layers'));
    assert.equal(layers.length, 2);
    for (const f of layers) {
      assert.equal(fs.statSync(path.join(lib.dirOf('set'), 'layers', f)).ino, fs.statSync(path.join(lib.autosaveDir, 'layers', f)).ino);
    }
    driver.engine.command(Cmd.Clear, 2, driver.engine.frame);
    driver.runTo(s(7.5), () => autosave.afterBlock());
    const second = await lib.save('set', autosave);
    assert.equal(second.tracks, 1);
    assert.deepEqual((await lib.list()).map((x) => x.name), ['set']);
    assert.deepEqual(fs.readdirSync(path.join(tmp.dir, 'sessions')), ['set'], 'no staging or old folders left');
    await autosave.close();
  });

  it('delete removes a session; deleting or loading a missing one says which sessions exist', async () => {
    const { autosave, lib } = await liveSession(tmp.dir);
    await lib.save('a', autosave);
    await lib.save('b', autosave);
    await lib.delete('a');
    assert.deepEqual((await lib.list()).map((x) => x.name), ['b']);
    await assert.rejects(lib.delete('a'), (e: unknown) => e instanceof InputError && /no session named "a"; saved sessions: b/.test(e.message));
    await assert.rejects(lib.delete('autosave'), /live session's own name/);
    await autosave.close();
  });

  it('a live load replaces the loops in phase with the running grid, and the autosave adopts the files by hard link', async () => {
    const { driver, autosave, lib } = await liveSession(tmp.dir);
    await lib.save('set', autosave);
    const saved = layersOf(driver.engine, 1).layers[0];
    await assert.rejects(lib.load('set', driver.engine, autosave), /track 1 is not empty; clear every track/);
    clearAll(driver.engine);
    driver.runTo(s(7.3), () => autosave.afterBlock());
    const report = await lib.load('set', driver.engine, autosave);
    assert.deepEqual(report.problems, []);
    const loaded = layersOf(driver.engine, 1).layers[0];
    assert.equal(firstDifference(loaded.data, saved.data), -1);
    // moved by a whole number of bars (2 s at 120 bpm in 4/4): same position on the grid
    assert.equal((loaded.anchor - saved.anchor) % s(2), 0);
    assert.ok(loaded.anchor >= s(7.3));
    driver.runTo(s(7.6), () => autosave.afterBlock());
    await autosave.flush();
    const session = fs.readdirSync(path.join(lib.dirOf('set'), 'layers')).sort();
    const live = fs.readdirSync(path.join(lib.autosaveDir, 'layers')).sort();
    assert.deepEqual(live, session, 'the autosave holds the loaded files and nothing else');
    for (const f of live) assert.equal(fs.statSync(path.join(lib.autosaveDir, 'layers', f)).ino, fs.statSync(path.join(lib.dirOf('set'), 'layers', f)).ino);
    await autosave.close();
  });

  it('an offline load makes a named session the autosave', async () => {
    const { autosave, lib } = await liveSession(tmp.dir);
    await lib.save('set', autosave);
    await autosave.close();
    fs.rmSync(lib.autosaveDir, { recursive: true });
    await lib.loadIntoAutosave('set');
    const summary = await lib.autosaveSummary();
    assert.deepEqual([summary?.name, summary?.tracks, summary?.layers], ['autosave', 2, 2]);
  });

  it('a crash in the middle of a replace leaves the old session, which list() puts back', async () => {
    const { autosave, lib } = await liveSession(tmp.dir);
    await lib.save('set', autosave);
    await autosave.close();
    // what a crash between the two renames of a replace leaves: the old session moved aside, a staging folder
    fs.renameSync(lib.dirOf('set'), path.join(tmp.dir, 'sessions', '.set.0123abcd.old'));
    fs.mkdirSync(path.join(tmp.dir, 'sessions', '.set.89abcdef.new'));
    assert.deepEqual((await lib.list()).map((x) => [x.name, x.layers]), [['set', 2]]);
    assert.deepEqual(fs.readdirSync(path.join(tmp.dir, 'sessions')), ['set']);
  });
  it('live exports go to <root>/exports/<name>, checked like session names', async () => {
    const lib = new SessionLibrary(tmp.dir);
    const target = await lib.exportTarget('friday');
    assert.deepEqual(target, { mix: path.join(tmp.dir, 'exports', 'friday', 'mix.wav'), stemsDir: path.join(tmp.dir, 'exports', 'friday', 'stems') });
    assert.ok(fs.statSync(path.join(tmp.dir, 'exports', 'friday')).isDirectory());
    await assert.rejects(lib.exportTarget('../../etc'), /name: "..\/..\/etc" is a path/);
  });

  it('planted symbolic links cannot lead an export, a load or a listing out of the root', async () => {
    const { autosave, lib } = await liveSession(path.join(tmp.dir, 'root'));
    const outside = path.join(tmp.dir, 'outside');
    fs.mkdirSync(outside);
    // an export whose folder is a link to elsewhere: refused, nothing written there
    fs.mkdirSync(path.join(tmp.dir, 'root', 'exports'), { recursive: true });
    fs.symlinkSync(outside, path.join(tmp.dir, 'root', 'exports', 'x'));
    await assert.rejects(lib.exportTarget('x'), (e: unknown) => e instanceof InputError && e.message === `name: ${path.join(tmp.dir, 'root', 'exports', 'x')}: leads outside ${path.join(tmp.dir, 'root')} (to ${outside}, through a symbolic link); accepted: a folder inside it; refused`);
    // the same for the stems folder of an export that is inside
    fs.mkdirSync(path.join(tmp.dir, 'root', 'exports', 'y'));
    fs.symlinkSync(outside, path.join(tmp.dir, 'root', 'exports', 'y', 'stems'));
    await assert.rejects(lib.exportTarget('y'), /stems: leads outside/);
    assert.deepEqual(fs.readdirSync(outside), []);
    // a session that is a link to a session elsewhere: named as such, not "no session named"
    await lib.save('real', autosave);
    fs.cpSync(path.join(tmp.dir, 'root', 'sessions', 'real'), path.join(outside, 'evil'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'evil'), path.join(tmp.dir, 'root', 'sessions', 'evil'));
    await assert.rejects(lib.existing('evil'), /name: .*evil: leads outside .* through a symbolic link/);
    const listed = await lib.list();
    assert.deepEqual(listed.map((x) => [x.name, !!x.problem]), [['evil', true], ['real', false]]);
    // a layer file that is a link is not read
    const layers = path.join(tmp.dir, 'root', 'sessions', 'real', 'layers');
    const victim = fs.readdirSync(layers)[0];
    fs.renameSync(path.join(layers, victim), path.join(outside, victim));
    fs.symlinkSync(path.join(outside, victim), path.join(layers, victim));
    const summary = listed.find((x) => x.name === 'real');
    assert.ok(summary && summary.layers > 0);
    const folder = new SessionFolder(path.join(tmp.dir, 'root', 'sessions', 'real'));
    const { manifest } = await folder.readManifest();
    const entry = manifest!.tracks.flatMap((t) => t.layers).find((l) => l.file === victim)!;
    await assert.rejects(folder.readLayer(entry, RATE, RATE), /is a symbolic link; accepted: a regular file/);
    await autosave.close();
  });

  it('an export longer than an hour is refused before anything is rendered', () => {
    const source = { sampleRate: RATE, masterVolume: 1, masterTrack: 1, tracks: [{ track: 1, data: new Float32Array(RATE * 120), anchor: 0, volume: 1, pan: 0, muted: false, soloed: false, playing: true }] };
    assert.throws(() => renderMixdown(source, 61), /loops: 61 x 60\.0 s is longer than 3600 s/);
  });
});
