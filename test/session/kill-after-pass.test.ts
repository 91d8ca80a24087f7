import { strict as assert } from 'assert';
import { fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../../lib/engine/engine';
import { Autosave } from '../../lib/session/autosave';
import { SessionFolder } from '../../lib/session/folder';
import { restoreSession } from '../../lib/session/restore';
import { tempDir } from '../fixtures/wav';
import { CRASH_BLOCK, CRASH_INPUT, CRASH_OPTIONS, ALL_SCENARIOS } from './crash-scenarios';
import { Driver, LayerCopy, firstDifference, layersOf } from './driver';

// kill -9 of the autosaving process in the moments after a pass has ended: while its layer is copied
// out of the arena, written, renamed and named by a manifest. At every one of those moments the
// restart must bring the pass back into its track, bit for bit (never only as a recovered take, never
// lost as an orphan layer file), and the session must then carry on cleanly.

const RATE = CRASH_OPTIONS.sampleRate;
const ms = (n: number) => Math.round((n * RATE) / 1000);

/**
 * Plays `scenario` in a child (unpaced up to 50 ms before its pass ends, then in real time) and SIGKILLs
 * it `delayMs` after it reports that its engine is past `fromFrame`. Resolves with the last frame it reported.
 */
function killAfter(dir: string, scenario: string, fromFrame: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = Math.max(0, ALL_SCENARIOS[scenario].killAt - ms(50));
    const child = fork(path.join(__dirname, 'crash-child.js'), [dir, scenario, String(start)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let last = -1;
    let armed = false;
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('message', (msg: { frame?: number; error?: string }) => {
      if (msg.error) reject(new Error(`child: ${msg.error}`));
      if (msg.frame === undefined) return;
      last = msg.frame;
      if (armed || last < fromFrame) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

/** The engine's track 1 as the offline replay holds it at `frame`. */
function expectedAt(scenario: string, frame: number): { layers: LayerCopy[]; current: number } {
  const sim = new Driver(CRASH_OPTIONS, CRASH_INPUT, ALL_SCENARIOS[scenario].steps, CRASH_BLOCK);
  sim.runTo(frame - (frame % CRASH_BLOCK) + CRASH_BLOCK);
  return layersOf(sim.engine, ALL_SCENARIOS[scenario].track);
}

function assertLayers(got: LayerCopy[], expected: LayerCopy[], what: string): void {
  assert.equal(got.length, expected.length, `${what}: ${got.length} layers, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    assert.equal(got[i].anchor, expected[i].anchor, `${what}: layer ${i} anchor`);
    assert.equal(firstDifference(got[i].data, expected[i].data), -1, `${what}: layer ${i} differs`);
  }
}

/** Restores `dir` into a fresh engine, runs one block, and returns the engine with the report. */
async function restart(dir: string): Promise<{ engine: Engine; report: Awaited<ReturnType<typeof restoreSession>> }> {
  const engine = new Engine(CRASH_OPTIONS);
  const report = await restoreSession(engine, dir);
  engine.process(1);
  return { engine, report };
}

/** The restored session goes on: autosave takes the restored pass over, and a second restart gives the same loops. */
async function carriesOn(dir: string, engine: Engine, report: Awaited<ReturnType<typeof restoreSession>>, expected: LayerCopy[]): Promise<void> {
  const autosave = new Autosave(engine, dir, { adopted: report.adopted, onError: (err) => assert.fail(err) });
  autosave.afterBlock();
  await autosave.close();
  assert.deepEqual(fs.readdirSync(path.join(dir, 'capture')), [], 'captures of saved passes are removed once a manifest names their layers');
  const again = await restart(dir);
  assert.deepEqual(again.report.problems, []);
  assertLayers(layersOf(again.engine, 1).layers, expected, 'second restart');
  const { manifest } = await new SessionFolder(dir).readManifest();
  assert.equal(manifest?.tracks[0].layers.length, expected.length);
}

describe('session: kill -9 after a pass ended', function () {
  this.timeout(120000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  const recordEnd = ALL_SCENARIOS['record-end'].killAt + CRASH_OPTIONS.inputLatencyFrames;
  it('a recording comes back whole into its track at every 1 ms from 0 to 50 ms after it ended', async () => {
    const expected = expectedAt('record-end', recordEnd).layers;
    assert.equal(expected.length, 1);
    for (let delay = 0; delay <= 50; delay++) {
      const dir = path.join(tmp.dir, `r${delay}`);
      await killAfter(dir, 'record-end', recordEnd, delay);
      const { engine, report } = await restart(dir);
      const what = `killed ${delay} ms after the end`;
      assert.deepEqual(report.problems, [], what);
      assert.deepEqual(report.recovered, [], `${what}: the pass is a layer, not a recovered take`);
      assertLayers(layersOf(engine, 1).layers, expected, what);
      assert.equal(fs.readdirSync(path.join(dir, 'layers')).length, 1, `${what}: one layer file, no orphan`);
      await carriesOn(dir, engine, report, expected);
    }
  });

  const overdubEnd = ALL_SCENARIOS['overdub-end'].killAt + CRASH_OPTIONS.inputLatencyFrames + CRASH_OPTIONS.crossfadeFrames;
  it('an overdub comes back whole above its base at every 5 ms from 0 to 50 ms after it ended', async () => {
    const expected = expectedAt('overdub-end', overdubEnd);
    assert.equal(expected.layers.length, 2);
    for (let delay = 0; delay <= 50; delay += 5) {
      const dir = path.join(tmp.dir, `o${delay}`);
      await killAfter(dir, 'overdub-end', overdubEnd, delay);
      const { engine, report } = await restart(dir);
      const what = `killed ${delay} ms after the end`;
      assert.deepEqual(report.problems, [], what);
      assert.deepEqual(report.recovered, [], what);
      const got = layersOf(engine, 1);
      assertLayers(got.layers, expected.layers, what);
      assert.equal(got.current, 1, `${what}: the overdub is the playing layer`);
      await carriesOn(dir, engine, report, expected.layers);
    }
  });

  it('at random moments around an overdub\'s end, what had ended comes back and the rest is offered', async () => {
    // a seeded LCG: the same moments every run
    let seed = 20261207;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const final = expectedAt('overdub-end', overdubEnd).layers;
    for (let k = 0; k < 8; k++) {
      const delay = Math.floor(random() * 120);
      const dir = path.join(tmp.dir, `x${k}`);
      // armed at the first report: from 50 ms before the end to 70 ms after it
      const last = await killAfter(dir, 'overdub-end', 0, delay);
      const { engine, report } = await restart(dir);
      const what = `kill ${k} (${delay} ms, last frame ${last})`;
      assert.deepEqual(report.problems, [], what);
      const got = layersOf(engine, 1);
      assertLayers(got.layers.slice(0, 1), final.slice(0, 1), `${what}: the recording`);
      if (last >= overdubEnd) {
        // the end had been seen: the overdub is a layer like any other
        assert.equal(got.current, 1, what);
        assertLayers(got.layers, final, what);
      } else if (got.current === 1) {
        assertLayers(got.layers, final, `${what}: ended before the kill`);
      } else {
        // interrupted: offered as the redo step above the recording
        assert.equal(got.current, 0, what);
        assert.equal(report.recovered.length, 1, what);
        assert.equal(report.recovered[0].redo, true, what);
      }
    }
  });
});
