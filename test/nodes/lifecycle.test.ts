import { NodeType } from '../../lib/control/constants';
import { ManualClock, flush } from '../fixtures/manual-clock';
import { ALL_NODES, CountingFactory, assert, connectionOf, engineDef, engineUp, helper, hostStatus, loadWithFactory, nextMsg, nextStatus, statusCalls, until, userNode, wait } from './harness';

// Deploy, redeploy (full, modified nodes, modified flows), disable a flow, stop: the engine host lives
// as long as a node uses it, and nothing leaks: clients, listeners, timers.

const SHARED = 'node-red-contrib-loopstation/loopstation-engine:loopstation-engine.status';

/** Every node type on a tab; `variant` changes a setting of each, so a deploy sees them modified. */
function allNodes(variant = 0, tab?: { disabled?: boolean }) {
  const z = tab ? { z: 'tab' } : {};
  const nodes = [
    ...userNode('rec', NodeType.LoopRecorder, { track: 1, holdMs: 1000 + variant, ...z }),
    ...userNode('met', NodeType.Metronome, { name: `m${variant}`, ...z }),
    ...userNode('mix', NodeType.Mixer, { levelRate: variant % 20, ...z }),
    ...userNode('in', NodeType.AudioIn, { levelRate: (variant + 1) % 20, ...z }),
    ...userNode('out', NodeType.AudioOut, { name: `o${variant}`, ...z }),
  ].map((n) => (tab && n.type === 'helper' ? { ...n, z: 'tab' } : n));
  return [...(tab ? [{ id: 'tab', type: 'tab', label: 'looper', disabled: !!tab.disabled }] : []), engineDef(), ...nodes];
}
/** Listeners the five user nodes keep on the connection: recorder 4 (with the osc node's loops), metronome 3 (beats, tempo, Link), audio out 2 (events and session reports), mixer and audio in 1 each. */
const USER_LISTENERS = 11;

function listenerCount(id = 'engine'): number {
  const c = connectionOf(id);
  return c.eventNames().reduce((n, name) => n + c.listenerCount(name), 0);
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('nodes: lifecycle', function () {
  this.timeout(60000);
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('starts one host for all users, with the first of them', async () => {
    const factory = await loadWithFactory(allNodes());
    await engineUp();
    assert.equal(factory.made, 1);
    assert.equal(factory.running, 1);
    assert.equal(connectionOf().userCount, 5);
    assert.equal(listenerCount(), USER_LISTENERS);
  });

  it('keeps the host and its loops when modified nodes or flows are deployed', async () => {
    const factory = await loadWithFactory(allNodes(0, {}));
    await engineUp();
    const recording = nextMsg(helper.getNode('rec-out'), (m) => m.payload === 'recording');
    const playing = nextMsg(helper.getNode('rec-out'), (m) => m.payload === 'playing');
    helper.getNode('rec').receive({ payload: 'record' });
    await recording;
    helper.getNode('rec').receive({ payload: 'record' });
    await playing;
    await helper.setFlows(allNodes(1, {}), 'nodes');
    await helper.setFlows(allNodes(2, {}), 'flows');
    assert.equal(factory.made, 1);
    assert.equal((await hostStatus()).tracks[0].state, 'playing');
    assert.equal(listenerCount(), USER_LISTENERS);
  });

  it('a full deploy restarts the host with the config node', async () => {
    const factory = await loadWithFactory(allNodes());
    await engineUp();
    await helper.setFlows(allNodes(1), 'full');
    await engineUp();
    assert.equal(factory.made, 2);
    assert.equal(factory.running, 1);
  });

  it('stops the host when the last user is deleted', async () => {
    const factory = await loadWithFactory(allNodes());
    await engineUp();
    await helper.setFlows([engineDef()], 'nodes');
    await until(() => factory.running === 0, 'the host stops');
    assert.equal(connectionOf().hasClient, false);
    assert.equal(connectionOf().status, 'stopped');
    assert.equal(listenerCount(), 0);
  });

  it('stops the host when the flow of its users is disabled, and starts it again when enabled', async () => {
    const factory = await loadWithFactory(allNodes(0, {}));
    await engineUp();
    await helper.setFlows(allNodes(0, { disabled: true }), 'flows');
    await until(() => factory.running === 0, 'the host stops');
    await helper.setFlows(allNodes(0, { disabled: false }), 'flows');
    await engineUp();
    assert.equal(factory.running, 1);
    assert.equal(factory.made, 2);
  });

  it('100 redeploys of every kind leave one host, the current nodes\' listeners, and after a stop nothing', async () => {
    // the first load warms up Node-RED's own lazy timers, so they are in the baseline
    await loadWithFactory(allNodes());
    await helper.unload();
    await wait(50);
    const timersBefore = activeTimers();

    const factory = await loadWithFactory(allNodes(0, {}));
    const kinds = ['nodes', 'flows', 'full'] as const;
    for (let i = 1; i <= 100; i++) {
      await helper.setFlows(allNodes(i, {}), kinds[i % 3]);
      if (i % 10 === 0) {
        await engineUp();
        assert.equal(factory.running, 1, `after deploy ${i}`);
        assert.equal(listenerCount(), USER_LISTENERS, `after deploy ${i}`);
      }
    }
    await engineUp();
    assert.equal(factory.running, 1);
    // a full deploy replaces the config node and its host: a third of the deploys
    assert.equal(factory.made, 1 + 33);
    // the nodes still work
    const beat = nextMsg(helper.getNode('met-out'));
    await beat;

    await helper.unload();
    await wait(50);
    assert.equal(factory.running, 0);
    assert.ok(factory.clients.every((c) => c.listenerCount('event') === 0 && c.listenerCount('exit') === 0), 'a client kept listeners');
    assert.equal(activeTimers(), timersBefore, 'timers left behind');
  });

  it('shows "starting" (yellow ring) on every user while the host starts; commands wait for it', async () => {
    const factory = new CountingFactory((client) => {
      client.start = () => new Promise(() => undefined);
    });
    await loadWithFactory(allNodes(), factory);
    const starting = { fill: 'yellow', shape: 'ring', text: `${SHARED}.starting` };
    const users = ['rec', 'met', 'mix', 'in', 'out'];
    await until(() => users.every((id) => statusCalls(id).at(-1)?.text === starting.text), 'every user shows "starting"');
    for (const id of users) assert.deepEqual(statusCalls(id).pop(), starting, id);
    assert.equal(connectionOf().status, 'starting');
    helper.getNode('rec').receive({ payload: 'record' });
    await until(() => factory.commands().length >= 1, 'the command is sent');
    assert.deepEqual(factory.commands(), [{ command: 'record', track: 1, value: 0 }]);
    assert.deepEqual(statusCalls('rec').pop(), starting);
  });

  it('after a crash: a red ring on every user, then a new host', async () => {
    const factory = await loadWithFactory(allNodes());
    await engineUp();
    const crashed = ['rec', 'met', 'mix', 'in', 'out'].map((id) => nextStatus(helper.getNode(id), (s) => s.text === `${SHARED}.crashed`));
    void factory.last.stop(); // the host went away without being asked
    for (const s of await Promise.all(crashed)) assert.deepEqual(s, { fill: 'red', shape: 'ring', text: `${SHARED}.crashed` });
    const rec = helper.getNode('rec');
    const notRunning = new Promise<string>((resolve) => rec.once('call:error', (call: { args: [Error] }) => resolve(call.args[0].message)));
    rec.receive({ payload: 'record' });
    assert.equal(await notRunning, 'the engine is not running: the command was not sent');
    await nextStatus(rec, (s) => s.text === 'empty', 2000);
    assert.equal(factory.made, 2);
    assert.equal(factory.running, 1);
    assert.equal(listenerCount(), USER_LISTENERS);
    const errors = helper.log().args.filter((a) => a[0].id === 'engine' && a[0].level === helper.log().ERROR).map((a) => a[0].msg);
    assert.deepEqual(errors, ['the engine host exited with code 0']);
  });

  it('close calls done at its deadline (5 s) even when the host does not confirm its stop', async () => {
    // the deadline on a manual clock: exact, and no 5 s of waiting
    const clock = new ManualClock();
    const factory = new CountingFactory((client) => {
      const stop = client.stop.bind(client);
      client.stop = () => {
        void stop();
        return new Promise(() => undefined);
      };
    }, clock);
    helper.settings({ loopstationClientFactory: factory.create, loopstationClock: clock });
    await helper.load(ALL_NODES, allNodes());
    await engineUp();
    // the helper stops spying on logs before it stops the flows: catch the engine's warning directly
    const warnings: string[] = [];
    const engine = helper.getNode('engine') as unknown as { warn(text: string): void };
    engine.warn = (text) => warnings.push(text);
    let closed = false;
    const unloading = helper.unload().then(() => (closed = true));
    await flush();
    clock.advance(4999);
    await flush();
    assert.equal(closed, false, 'close waits for the host until its deadline');
    clock.advance(1);
    await unloading;
    assert.deepEqual(warnings, ['the engine host did not stop within 5000 ms']);
  });
});
