import { strict as assert } from 'assert';
import { fork } from 'child_process';
import * as path from 'path';
import { Engine } from '../../lib/engine/engine';
import { restoreSession } from '../../lib/session/restore';
import { tempDir } from '../fixtures/wav';
import {
  CRASH_BLOCK, SETTINGS_EVERY, SETTINGS_FIRST, SETTINGS_OPTIONS, SETTINGS_SCENARIOS, SETTINGS_STEPS, settingsInput,
} from './crash-scenarios';
import { Driver, firstDifference, layersOf } from './driver';

// kill -9 of the autosaving process while the loops' settings and the routing change every 40 ms. The
// manifest on the disk is always one whole state: the restart brings back every kept setting exactly as
// the engine had them after one step of changes (never a mix of two), no older than a second before the
// kill, and the loop bit for bit.

const RATE = SETTINGS_OPTIONS.sampleRate;
const SCENARIO = SETTINGS_SCENARIOS.settings;

/** Plays the scenario in a child (unpaced up to 1 s before the kill, then in real time) and SIGKILLs it at killAt. */
function playAndKill(dir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = SCENARIO.killAt - RATE;
    const child = fork(path.join(__dirname, 'crash-child.js'), [dir, 'settings', String(start)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let last = -1;
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('message', (msg: { frame?: number; error?: string }) => {
      if (msg.error) reject(new Error(`child: ${msg.error}`));
      if (msg.frame === undefined || last >= SCENARIO.killAt) return;
      last = msg.frame;
      if (last >= SCENARIO.killAt) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

/** Every setting a session keeps, as an engine holds them. */
function keptSettings(e: Engine): Record<string, unknown> {
  return {
    tracks: e.tracks.map((tr) => [tr.live, tr.quantize, tr.feedback, tr.inputGain, tr.source, tr.cueBus, tr.cueSend, tr.volume, tr.pan, tr.muted, tr.soloed]),
    metronomeBus: e.metronomeBus,
    monitorBus: e.monitorBus,
    monitorInput: e.monitorInput,
  };
}

describe('session: kill -9 while settings change', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('restores one whole step of changes, less than a second old, and the loop bit for bit', async () => {
    const killed = await playAndKill(tmp.dir);

    const fresh = new Engine(SETTINGS_OPTIONS);
    const report = await restoreSession(fresh, tmp.dir);
    assert.deepEqual(report.problems, []);

    // the restored cue send of track 1 is k/64 after step k: the step the manifest was written after
    const k = Math.round(fresh.tracks[0].cueSend * 64);
    assert.ok(k >= 1 && k <= SETTINGS_STEPS, `a step of changes was saved (cue send ${fresh.tracks[0].cueSend})`);
    const stepFrame = SETTINGS_FIRST + (k - 1) * SETTINGS_EVERY;
    const nextStep = stepFrame + SETTINGS_EVERY;
    assert.ok(nextStep > killed - RATE, `the saved step (${k}, frame ${stepFrame}) is within a second of the kill (frame ${killed})`);

    // the offline replay, just after step k (and before step k + 1)
    const sim = new Driver(SETTINGS_OPTIONS, settingsInput(), SCENARIO.steps, CRASH_BLOCK);
    sim.runTo(stepFrame - (stepFrame % CRASH_BLOCK) + CRASH_BLOCK);
    assert.ok(sim.engine.frame <= nextStep);
    assert.deepEqual(keptSettings(fresh), keptSettings(sim.engine));

    const want = layersOf(sim.engine, 1);
    const got = layersOf(fresh, 1);
    assert.equal(got.layers.length, 1);
    assert.equal(got.layers[0].anchor, want.layers[0].anchor);
    assert.equal(firstDifference(got.layers[0].data, want.layers[0].data), -1, 'track 1 differs');
  });
});
