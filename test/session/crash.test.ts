import { strict as assert } from 'assert';
import { fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../../lib/engine/engine';
import { WriteMode, WriteProgress } from '../../lib/engine/track';
import { parseCapture } from '../../lib/session/capture';
import { restoreSession } from '../../lib/session/restore';
import { readWav } from '../../lib/session/wav';
import { tempDir } from '../fixtures/wav';
import { CRASH_BLOCK, CRASH_INPUT, CRASH_OPTIONS, CRASH_SCENARIOS } from './crash-scenarios';
import { Driver, firstDifference, layersOf } from './driver';

// kill -9 of a process that runs an engine and an Autosave in real time, in the middle of a pass. The
// session is then restored into a fresh engine and compared with an offline replay of the same script:
// every completed pass must come back bit for bit, and the interrupted one as far as its capture file
// reached, which must be within one second of the kill.

const RATE = CRASH_OPTIONS.sampleRate;

/** Runs the scenario in a child and SIGKILLs it once it reports the scenario's kill frame; resolves with that frame. */
function playAndKill(dir: string, scenario: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'crash-child.js'), [dir, scenario], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let last = -1;
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('message', (msg: { frame?: number; error?: string }) => {
      if (msg.error) reject(new Error(`child: ${msg.error}`));
      if (msg.frame === undefined || last >= CRASH_SCENARIOS[scenario].killAt) return;
      last = msg.frame;
      if (last >= CRASH_SCENARIOS[scenario].killAt) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('session: kill -9 mid-pass', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  for (const name of Object.keys(CRASH_SCENARIOS)) {
    const scenario = CRASH_SCENARIOS[name];
    it(`mid-${name}: every completed pass comes back bit for bit, the interrupted one up to < 1 s before the kill`, async () => {
      const killed = await playAndKill(tmp.dir, name);

      // what the capture file held when the process died
      const captures = fs.readdirSync(path.join(tmp.dir, 'capture'));
      assert.equal(captures.length, 1, `one capture left (the interrupted pass): ${captures}`);
      const { header, data } = parseCapture(captures[0], fs.readFileSync(path.join(tmp.dir, 'capture', captures[0])));
      const captured = data.length / 2;
      assert.equal(header.track, scenario.track);
      assert.equal(header.kind, name);
      const lost = killed - header.began - captured;
      assert.ok(captured > 0 && lost < RATE, `lost ${lost} frames (${(lost / RATE).toFixed(3)} s) of the interrupted pass`);

      const fresh = new Engine(CRASH_OPTIONS);
      const report = await restoreSession(fresh, tmp.dir);
      assert.deepEqual(report.problems, []);
      fresh.process(1); // applies the undo step that puts a recovered overdub above the playing layer

      // the offline replay, stopped exactly where the capture ends
      const sim = new Driver(CRASH_OPTIONS, CRASH_INPUT, scenario.steps, CRASH_BLOCK);
      sim.runTo(header.began + captured);
      const progress = sim.engine.writeProgress(scenario.track, {} as WriteProgress);
      assert.notEqual(progress.mode, WriteMode.None, 'the replay is mid-pass too');

      // completed passes: track 1's layers below the pass in progress
      const simLayers = layersOf(sim.engine, 1).layers;
      const completed = name === 'overdub' ? simLayers.slice(0, -1) : simLayers;
      const got = layersOf(fresh, 1);
      assert.equal(completed.length, 2);
      for (let i = 0; i < completed.length; i++) {
        assert.equal(got.layers[i].anchor, completed[i].anchor);
        assert.equal(firstDifference(got.layers[i].data, completed[i].data), -1, `track 1 layer ${i} differs`);
      }

      // the interrupted pass: as the engine held it at the capture's last frame
      assert.equal(report.recovered.length, 1);
      const take = report.recovered[0];
      const audio = readWav(take.file, { sampleRate: RATE }).data;
      const m = sim.engine.memory;
      const expected = name === 'overdub'
        ? simLayers[simLayers.length - 1].data
        : m.slice(progress.loop, progress.loop + captured * 2);
      assert.equal(firstDifference(audio, expected), -1, 'recovered take differs from the engine at the capture end');
      if (name === 'overdub') {
        // loaded as the redo step above the restored layers, in phase
        assert.equal(take.redo, true);
        assert.equal(got.layers.length, 3);
        assert.equal(got.current, 1);
        assert.equal(firstDifference(got.layers[2].data, expected), -1);
        assert.equal(got.layers[2].anchor, completed[1].anchor);
      } else {
        assert.equal(take.redo, false);
        assert.equal(take.frames, captured);
        assert.equal(layersOf(fresh, 2).layers.length, 0, 'an unfinished recording is offered as a file, not loaded');
      }
      assert.deepEqual(fs.readdirSync(path.join(tmp.dir, 'capture')), [], 'recovered captures are removed');
    });
  }
});
