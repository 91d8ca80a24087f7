import { NodeType } from '../../lib/control/constants';
import { FakeHub, RealTime, fakePeer } from '../sync/fake-link-network';
import { assert, ALL_NODES, CountingFactory, engineDef, engineUp, helper, nextStatus, until, userNode } from './harness';

// An engine whose sync source is Link, deployed in Node-RED, on a fake Link network
// (RED.settings.loopstationLinkNetwork): no socket is opened, nothing leaves the process.

describe('nodes: engine under Ableton Link', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('joins the session: the metronome shows the peer, a tempo sent to it goes to the session, and closing says bye-bye', async () => {
    const hub = new FakeHub(new RealTime());
    // sessions less than half a second apart in age are ranked by node id: the smallest there is makes
    // the other session win whenever ours starts, with no wait for it to grow older
    const smallestId = (): number => 0;
    const other = fakePeer(hub, '10.0.0.2', 133, 0, false, smallestId);
    other.enable();
    const factory = new CountingFactory();
    helper.settings({ loopstationClientFactory: factory.create, loopstationLinkNetwork: () => hub.add('10.0.0.1') });
    await helper.load(ALL_NODES, [engineDef({ sync: 'link' }), ...userNode('met', NodeType.Metronome)]);
    await engineUp();
    const met = helper.getNode('met');
    const status = await nextStatus(met, (s) => /Link peers: 1/.test(s.text ?? ''));
    assert.equal(status.shape, 'ring');
    await until(() => factory.commands().some((c) => c.command === 'bpm' && Math.abs((c.value as number) - 133) < 1e-3), 'the engine gets the session tempo');
    met.receive({ payload: 88 });
    await until(() => Math.abs(other.tempo - 88) < 1e-3, 'the session takes the tempo sent to the metronome');
    await until(() => factory.commands().some((c) => c.command === 'bpm' && Math.abs((c.value as number) - 88) < 1e-3), 'the engine plays it');
    await helper.unload();
    await until(() => other.peerCount === 0, 'the other peer sees ours leave');
    other.disable();
  });

  it('an engine on its own clock opens no Link network at all', async () => {
    let made = 0;
    const factory = new CountingFactory();
    helper.settings({ loopstationClientFactory: factory.create, loopstationLinkNetwork: () => { made++; return new FakeHub(new RealTime()).add('10.0.0.1'); } });
    await helper.load(ALL_NODES, [engineDef(), ...userNode('met', NodeType.Metronome)]);
    await engineUp();
    assert.equal(made, 0);
  });
});
