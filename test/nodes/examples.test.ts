import fs from 'fs';
import path from 'path';
import { NodeType } from '../../lib/control/constants';
import { ManualClock } from '../fixtures/manual-clock';
import { ALL_NODES, CountingFactory, assert, connectionOf, engineUp, helper, play, wait } from './harness';

// The example flows: every node type appears in one, and each deploys and works with the core nodes
// it uses. The rpi-gpio and mqtt nodes are swapped for helper nodes (no GPIO, no broker here).

const CORE = '@node-red/nodes/core';
const CORE_NODES = [
  require(`${CORE}/common/20-inject.js`),
  require(`${CORE}/common/21-debug.js`),
  require(`${CORE}/common/90-comment.js`),
  require(`${CORE}/function/10-switch.js`),
  require(`${CORE}/function/15-change.js`),
  require(`${CORE}/function/89-trigger.js`),
  require(`${CORE}/function/89-delay.js`),
];
const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');
type FlowNode = { id: string; type: string; name?: string; wires?: string[][]; [k: string]: unknown };

function example(file: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
}

/**
 * The example as the editor imports it (onto a tab), with the hardware/network nodes as helpers and the
 * broker left out.
 */
function runnable(flow: FlowNode[]): FlowNode[] {
  const swapped = ['rpi-gpio in', 'rpi-gpio out', 'mqtt in', 'mqtt out'];
  const onTab = (n: FlowNode): FlowNode => ('x' in n ? { ...n, z: 'tab' } : n);
  return [
    { id: 'tab', type: 'tab', label: 'example' },
    ...flow
      .filter((n) => n.type !== 'mqtt-broker')
      .map((n) => (swapped.includes(n.type) ? { id: n.id, type: 'helper', name: n.name, x: n.x, wires: n.wires ?? [] } : n))
      .map(onTab),
  ];
}

const byName = (flow: FlowNode[], type: string, name: string) => {
  const n = flow.find((x) => x.type === type && x.name === name);
  assert.ok(n, `${type} "${name}" in the example`);
  return helper.getNode(n.id);
};

function received(node: ReturnType<typeof helper.getNode>): Record<string, unknown>[] {
  const msgs: Record<string, unknown>[] = [];
  node.on('input', (m: Record<string, unknown>) => msgs.push(m));
  return msgs;
}

describe('examples', function () {
  this.timeout(20000);
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('every node type appears in an example; every example is an array of nodes wired to nodes it holds', () => {
    const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    for (const f of ['01 Inject buttons.json', '02 Raspberry Pi pedalboard.json', '03 MQTT control and state.json']) assert.ok(files.includes(f), f);
    const types = new Set(files.flatMap((f) => example(f).map((n) => n.type)));
    for (const type of [NodeType.Engine, NodeType.AudioIn, NodeType.Metronome, NodeType.LoopRecorder, NodeType.Mixer, NodeType.AudioOut]) {
      assert.ok(types.has(type), `${type} in no example`);
    }
    for (const f of files) {
      const flow = example(f);
      const ids = new Set(flow.map((n) => n.id));
      assert.equal(ids.size, flow.length, `${f}: duplicate ids`);
      for (const n of flow) for (const w of (n.wires ?? []).flat()) assert.ok(ids.has(w), `${f}: ${n.name} wired to a missing node`);
    }
  });

  it('(a) inject buttons: record twice and the loop plays, in time with the bar', async () => {
    const flow = example('01 Inject buttons.json');
    const clock = new ManualClock();
    const factory = new CountingFactory(undefined, clock);
    helper.settings({ loopstationClientFactory: factory.create });
    await helper.load([...ALL_NODES, ...CORE_NODES], runnable(flow));
    await engineUp(flow.find((n) => n.type === NodeType.Engine)!.id);
    const states = received(byName(flow, 'debug', 'track 1'));
    const record = byName(flow, 'inject', 'record');
    byName(flow, 'inject', 'start').receive({});
    record.receive({});
    await play(clock, 2300); // the recording starts on the next bar (2 s at 120 bpm)
    record.receive({});
    await play(clock, 2300);
    assert.deepEqual(states.map((m) => m.payload), ['recording', 'playing']);
    // quantized to the bar (96000 frames at 120 bpm, 48 kHz): the loop is a whole bar
    assert.equal(states[1].frames, 96000);
    assert.equal(states[1].bars, 1);
    assert.equal((states[0].frame as number) % 96000, 0);
    assert.ok(factory.commands().some((c) => c.command === 'metronome' && c.value === 1));
  });

  it('(b) pedalboard: a pedal press records, the track LED lights, the beat LED flashes on the downbeat', async () => {
    const flow = example('02 Raspberry Pi pedalboard.json');
    const clock = new ManualClock();
    const factory = new CountingFactory(undefined, clock);
    helper.settings({ loopstationClientFactory: factory.create });
    await helper.load([...ALL_NODES, ...CORE_NODES], runnable(flow));
    await engineUp(flow.find((n) => n.type === NodeType.Engine)!.id);
    const led = received(byName(flow, 'rpi-gpio out', 'track 1 LED (GPIO23)'));
    const beatLed = received(byName(flow, 'rpi-gpio out', 'beat LED (GPIO24)'));
    const pedal = byName(flow, 'rpi-gpio in', 'pedal 1 (GPIO17)') as unknown as { send(msg: object): void };
    pedal.send({ payload: 0 }); // pressed (pull-up)
    pedal.send({ payload: 1 });
    const tapPedal = byName(flow, 'rpi-gpio in', 'tap pedal (GPIO22)') as unknown as { send(msg: object): void };
    tapPedal.send({ payload: 0 });
    tapPedal.send({ payload: 1 });
    await play(clock, 2400);
    // the flash ends by Node-RED's own trigger node, 100 ms of real time after the downbeat
    for (let i = 0; i < 200 && beatLed.length < 2; i++) await wait(10);
    assert.deepEqual(led.map((m) => m.payload), [1]);
    assert.deepEqual(beatLed.map((m) => m.payload).slice(0, 2), [1, 0]);
    assert.deepEqual(factory.commands().map((c) => c.command), ['metronome', 'toggle']);
  });

  it('(b2) pedalboard for 2 in/4 out: both tracks record input 1, the guitar is heard, the click goes to bus 2 (outputs 3-4)', async () => {
    const flow = example('06 Raspberry Pi pedalboard, 2 in 4 out.json');
    const clock = new ManualClock();
    const factory = new CountingFactory(undefined, clock);
    helper.settings({ loopstationClientFactory: factory.create });
    await helper.load([...ALL_NODES, ...CORE_NODES], runnable(flow));
    const engineId = flow.find((n) => n.type === NodeType.Engine)!.id;
    await engineUp(engineId);
    const config = connectionOf(engineId).config;
    assert.deepEqual([config.inputChannels, config.outputChannels], [2, 4]);
    await play(clock, 100);
    const routing = factory.commands().filter((c) => ['input', 'metronomeBus', 'monitorInput'].includes(c.command));
    assert.deepEqual(routing.sort((x, y) => (x.command + x.track).localeCompare(y.command + y.track)), [
      { command: 'input', track: 1, value: 1 },
      { command: 'input', track: 2, value: 1 },
      { command: 'metronomeBus', track: 0, value: 2 },
      { command: 'monitorInput', track: 0, value: 1 },
    ]);
  });

  it('(c) MQTT: commands and mixer topics in, retained state topics and beats out', async () => {
    const flow = example('03 MQTT control and state.json');
    const clock = new ManualClock();
    const factory = new CountingFactory(undefined, clock);
    helper.settings({ loopstationClientFactory: factory.create });
    await helper.load([...ALL_NODES, ...CORE_NODES], runnable(flow));
    await engineUp(flow.find((n) => n.type === NodeType.Engine)!.id);
    const states = received(byName(flow, 'mqtt out', 'states (retained)'));
    const beats = received(byName(flow, 'mqtt out', 'beats'));
    const send = (name: string, msg: object) => (byName(flow, 'mqtt in', name) as unknown as { send(m: object): void }).send(msg);
    send('track 2 commands', { topic: 'loopstation/track/2/command', payload: 'record' });
    send('mixer', { topic: 'loopstation/mixer/track/2/volume', payload: '0.5' });
    send('metronome', { topic: 'loopstation/metronome', payload: '200' });
    await play(clock, 2300);
    assert.deepEqual(states.map((m) => [m.topic, m.payload]), [['loopstation/state/track/2', 'recording']]);
    assert.ok(beats.length >= 2 && beats.every((m) => m.topic === 'loopstation/beat'));
    // the mixer's msgs pass one more node: compare without order
    const sorted = factory.commands().sort((x, y) => x.command.localeCompare(y.command));
    assert.deepEqual(sorted, [
      { command: 'bpm', track: 0, value: 200 },
      { command: 'record', track: 2, value: 0 },
      { command: 'volume', track: 2, value: 0.5 },
    ]);
  });

  it('(d) starter flow: monitoring starts off; a burst of 50 xruns reaches the sidebar as one msg (at most two) with the latest count', async () => {
    const flow = example('starter-looper.json');
    assert.equal(flow.find((n) => n.type === NodeType.AudioIn)!.monitor, 'false');
    // only this test's xruns: the null backend's own (a late timer on a busy machine) are held back
    const burst = new Set<object>();
    const factory = new CountingFactory((client) => {
      const emit = client.emit.bind(client);
      client.emit = (name: string | symbol, ...args: unknown[]) => {
        const e = args[0] as { type?: string };
        return name === 'event' && e?.type === 'xrun' && !burst.has(e) ? false : emit(name, ...args);
      };
    });
    helper.settings({ loopstationClientFactory: factory.create });
    // the panel is tested on its own (panel.test.ts); here a helper stands in for it
    const withoutPanel = flow.map((n) => (n.type === 'loopstation-panel' ? { id: n.id, type: 'helper', x: n.x, wires: n.wires ?? [] } : n));
    await helper.load([...ALL_NODES, ...CORE_NODES], runnable(withoutPanel));
    await engineUp(flow.find((n) => n.type === NodeType.Engine)!.id);
    const xruns = received(byName(flow, 'debug', 'xruns'));
    for (let count = 1; count <= 50; count++) {
      const e = { type: 'xrun', count, frame: count * 256, source: 'host' };
      burst.add(e);
      factory.last.emit('event', e);
    }
    assert.equal(xruns.length, 0, 'held, not passed on one by one');
    // the limiter releases the newest msg once a second (a release may fall inside the burst: then two)
    for (let i = 0; i < 40 && xruns[xruns.length - 1]?.payload !== 50; i++) await wait(100);
    assert.equal(xruns[xruns.length - 1]?.payload, 50, 'the newest count arrives');
    assert.ok(xruns.length <= 2, `${xruns.length} msgs for a burst of 50 xruns`);
  });
});
