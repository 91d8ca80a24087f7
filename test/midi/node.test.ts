import * as fs from 'fs';
import { NodeType } from '../../lib/control/constants';
import { ALL_NODES, CountingFactory, assert, engineDef, engineUp, helper, nextError, nextMsg, until } from '../nodes/harness';

// The loopstation-midi node in Node-RED, fed MIDI bytes by msgs (this machine has no MIDI ports).

const NODES = [...ALL_NODES, require('../../nodes/loopstation-midi')];

async function load(props: object = {}, engineStarts = true): Promise<CountingFactory> {
  const factory = new CountingFactory();
  helper.settings({ loopstationClientFactory: factory.create });
  await helper.load(NODES, [
    engineDef(),
    { id: 'midi', type: NodeType.Midi, engine: 'engine', wires: [['out']], ...props },
    { id: 'out', type: 'helper' },
  ]);
  if (engineStarts) await engineUp();
  return factory;
}

describe('nodes: midi', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('maps MIDI bytes in msgs through its bindings, and passes every event on', async () => {
    const bindings = JSON.stringify([{ type: 'note', channel: 0, number: 60, command: 'record', track: 2 }, { type: 'cc', channel: 0, number: 7, command: 'volume', track: 1 }]);
    const factory = await load({ bindings });
    const out = helper.getNode('out');
    const passed = nextMsg<{ topic: string; payload: { kind: string } }>(out, (m) => m.topic === 'midi');
    helper.getNode('midi').receive({ payload: [0x90, 60, 100] });
    assert.deepEqual((await passed).payload, { kind: 'note', channel: 1, note: 60, velocity: 100 });
    helper.getNode('midi').receive({ payload: Buffer.from([0xb0, 7, 127]) });
    await until(() => factory.commands().length >= 2, 'both commands are sent');
    assert.deepEqual(factory.commands(), [{ command: 'record', track: 2, value: 0 }, { command: 'volume', track: 1, value: 1 }]);
  });

  it('learns a binding from the next note and sends it out', async () => {
    const factory = await load();
    const out = helper.getNode('out');
    const midi = helper.getNode('midi');
    midi.receive({ payload: { learn: { command: 'toggle', track: 3 } } });
    const learned = nextMsg<{ topic: string; payload: object; bindings: object[] }>(out, (m) => m.topic === 'learned');
    midi.receive({ payload: [0x92, 48, 100] });
    const msg = await learned;
    assert.deepEqual(msg.payload, { type: 'note', channel: 3, number: 48, command: 'toggle', track: 3 });
    assert.equal(msg.bindings.length, 1);
    midi.receive({ payload: [0x92, 48, 100] });
    await until(() => factory.commands().length >= 1, 'the bound command is sent');
    assert.deepEqual(factory.commands(), [{ command: 'toggle', track: 3, value: 0 }]);
  });

  it('refuses a bad msg with an error naming what is accepted, and a bad binding setting at deploy', async () => {
    await load();
    const midi = helper.getNode('midi');
    const err = nextError(midi);
    midi.receive({ payload: [0xf0, 1, 2] });
    assert.match(await err, /MIDI bytes/);
    const err2 = nextError(midi);
    midi.receive({ payload: { learn: { command: 'record', track: 99 } } });
    assert.match(await err2, /msg\.payload\.learn\.track/);
    const err3 = nextError(midi);
    midi.receive({ payload: 'start' });
    assert.match(await err3, /clock out/);
  });

  it('GET /loopstation/midi-ports answers the port lists, or empty lists and why (no ALSA sequencer here)', async () => {
    await load();
    const res = await helper.request().get('/loopstation/midi-ports');
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.body.inputs) && Array.isArray(res.body.outputs));
    if (!fs.existsSync('/dev/snd/seq')) assert.match(String(res.body.error), /@julusian\/midi/);
  });

  it('a binding setting that is not valid keeps the node from starting, with the field in the error', async () => {
    // a refused node does not register with the engine: no user, no host
    await load({ bindings: '[{"type": "note", "number": 300, "command": "record", "track": 1}]' }, false);
    const midi = helper.getNode('midi');
    const err = nextError(midi);
    midi.receive({ payload: [0x90, 1, 1] });
    assert.match(await err, /bindings\[0\]\.number/);
  });
});
