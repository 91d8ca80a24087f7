import { createSocket } from 'dgram';
import { NodeType } from '../../lib/control/constants';
import { oscSettings } from '../../lib/osc/osc-controller';
import { ALL_NODES, CountingFactory, assert, engineDef, engineUp, helper, nextStatus, statusCalls, userNode, wait } from '../nodes/harness';
import { TestOscClient } from './client';

// The loopstation-osc node in Node-RED: it opens its port with the engine, drives the engine's tracks,
// and closes its socket on redeploy and removal.

const NODES = [...ALL_NODES, require('../../nodes/loopstation-osc')];

async function load(flow: object[], factory = new CountingFactory()): Promise<CountingFactory> {
  helper.settings({ loopstationClientFactory: factory.create });
  await helper.load(NODES, flow);
  return factory;
}

/** The port in the node's "OSC 127.0.0.1:<port>" status, once it shows (among its statuses from `since` on). */
async function listeningPort(since = 0): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const shown = statusCalls('osc').slice(since).map((s) => /^OSC 127\.0\.0\.1:(\d+)$/.exec(s.text ?? '')).find((m) => m);
    if (shown) return Number(shown[1]);
    await wait(10);
  }
  throw new Error(`the osc node never showed its port: ${JSON.stringify(statusCalls('osc'))}`);
}

const oscNode = (props: object = {}) => ({ id: 'osc', type: NodeType.Osc, engine: 'engine', port: 0, ...props });

describe('nodes: osc', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('listens on 127.0.0.1, shows the port, and drives the engine from /sl/#/hit', async () => {
    const factory = await load([engineDef(), oscNode()]);
    await engineUp();
    const port = await listeningPort();
    const client = await new TestOscClient().open();
    try {
      await client.send(port, '/sl/1/hit', 's', ['record']);
      await client.send(port, '/set', 'sf', ['tempo', 90]);
      await client.sync(port);
      assert.deepEqual(factory.commands(), [{ command: 'record', track: 2, value: 0 }, { command: 'bpm', track: 0, value: 90 }]);
      const pong = await client.ask(port, '/ping', 'ss', [client.url, '/pong']);
      assert.deepEqual(pong.args.slice(1), ['1.7.8', 4]);
    } finally {
      await client.close();
    }
  });

  it('a loop an OSC client deletes: the engine frees its track, and its loop-recorder node says so and refuses commands until it is added again', async () => {
    const factory = await load([engineDef(), oscNode(), ...userNode('rec', NodeType.LoopRecorder, { track: 2 })]);
    await engineUp();
    const port = await listeningPort();
    const rec = helper.getNode('rec');
    const client = await new TestOscClient().open();
    try {
      await client.send(port, '/loop_del', 'i', [1]);
      const deleted = await nextStatus(rec, (st) => /no loop/.test(st.text ?? ''));
      assert.deepEqual(deleted, { fill: 'grey', shape: 'ring', text: 'no loop (deleted)' });
      assert.deepEqual(factory.commands(), [{ command: 'deleteLoop', track: 2, value: 0 }]);
      assert.deepEqual((await client.ask(port, '/ping', 'ss', [client.url, '/pong'])).args[2], 3);
      const refused = new Promise<string>((resolve) => rec.on('call:error', (call: { args: unknown[] }) => resolve(String(call.args[0]))));
      rec.receive({ payload: 'record' });
      assert.match(await refused, /track 2 is no loop \(it was deleted\): "record" was not sent; send "addloop" to add it again/);
      assert.equal(factory.commands().length, 1, 'nothing was sent for the refused command');
      // the first free track is the one deleted: the node works again, on an empty loop
      await client.send(port, '/loop_add', 'if', [2, 30]);
      assert.equal((await nextStatus(rec, (st) => st.text === 'empty')).text, 'empty');
      assert.deepEqual((await client.ask(port, '/ping', 'ss', [client.url, '/pong'])).args[2], 4);
    } finally {
      await client.close();
    }
  });

  it('a redeploy on a fixed port gets the port again, and removal frees it', async () => {
    const probe = await new TestOscClient().open();
    const port = probe.port;
    await probe.close();
    const flow = [engineDef(), oscNode({ port })];
    await load(flow);
    await engineUp();
    const client = await new TestOscClient().open();
    try {
      assert.equal((await client.ask(port, '/ping', 'ss', [client.url, '/a'])).address, '/a');
      for (let i = 0; i < 3; i++) {
        const since = statusCalls('osc').length;
        await helper.setFlows([engineDef(), oscNode({ port, name: `osc ${i}` })], 'nodes');
        assert.equal(await listeningPort(since), port);
        assert.equal((await client.ask(port, '/ping', 'ss', [client.url, `/b${i}`])).address, `/b${i}`);
      }
      await helper.setFlows([engineDef()], 'nodes');
      // the port is free again: this socket gets it (a bind to a port in use fails with EADDRINUSE)
      const taker = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        taker.once('error', reject);
        taker.bind(port, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => taker.close(resolve));
    } finally {
      await client.close();
    }
  });

  it('refuses a host that is not an IP address, and a bad port', () => {
    assert.throws(() => oscSettings({ host: 'example.com' }), /host/);
    assert.throws(() => oscSettings({ port: 70000 }), /port/);
    assert.deepEqual(oscSettings({}), { port: 9951, host: '127.0.0.1' });
    assert.deepEqual(oscSettings({ host: '0.0.0.0', port: '8000' }), { port: 8000, host: '0.0.0.0' });
  });
});
