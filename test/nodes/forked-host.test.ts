import { execFileSync } from 'child_process';
import { NodeType } from '../../lib/control/constants';
import { ALL_NODES, assert, engineDef, helper, nextMsg, userNode, wait } from './harness';

// The nodes on the real engine host: a forked child process with the null backend (no device needed).
// Child processes are counted, so a deploy that leaks one fails.

function childProcesses(): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((pid) => pid > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

async function until(what: string, check: () => boolean, ms = 15000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await wait(25)) if (check()) return;
  assert.fail(`${what} within ${ms} ms`);
}

describe('nodes: on the forked engine host', function () {
  this.timeout(60000);
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  const flow = (variant = 0) => [
    engineDef({ name: `forked ${variant}` }),
    ...userNode('rec', NodeType.LoopRecorder, { track: 1 }),
    ...userNode('met', NodeType.Metronome, { bpm: '400' }),
  ];

  it('records a loop and hears the beats through the child process, and leaves no process behind', async () => {
    const baseline = childProcesses().length;
    helper.settings({}); // the default client: ForkedClient
    await helper.load(ALL_NODES, flow());
    const recOut = helper.getNode('rec-out');
    await nextMsg(helper.getNode('met-out'), () => true, 15000);
    assert.equal(childProcesses().length, baseline + 1, 'one engine host');
    const recording = nextMsg(recOut, (m) => m.payload === 'recording');
    helper.getNode('rec').receive({ payload: 'record' });
    await recording;
    // two beats heard after the recording began: at 400 bpm, more than 150 ms (7200 frames) recorded
    for (let beats = 0; beats < 2; beats++) await nextMsg(helper.getNode('met-out'), () => true, 15000);
    const playing = nextMsg<{ payload: string; frames: number }>(recOut, (m) => m.payload === 'playing');
    helper.getNode('rec').receive({ payload: 'record' });
    assert.ok((await playing).frames > 0.15 * 48000);

    for (let i = 1; i <= 5; i++) {
      await helper.setFlows(flow(i), 'full');
      await nextMsg(helper.getNode('met-out'), () => true, 15000);
      assert.equal(childProcesses().length, baseline + 1, `after full deploy ${i}`);
    }
    await helper.unload();
    await until('the engine host to exit', () => childProcesses().length === baseline);
  });
});
