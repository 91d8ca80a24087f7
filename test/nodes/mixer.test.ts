import { NodeType } from '../../lib/control/constants';
import { HostStatus } from '../../lib/io/client';
import { assert, engineDef, engineUp, helper, hostStatus, loadWithFactory, nextMsg, nextStatus, until, userNode } from './harness';

// The mixer node: msg.topic controls, output levels.

describe('nodes: mixer', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  async function setUp(props: object = {}) {
    const factory = await loadWithFactory([engineDef(), ...userNode('mix', NodeType.Mixer, props)]);
    await engineUp();
    return { factory, mix: helper.getNode('mix'), out: helper.getNode('mix-out') };
  }

  it('sets each track control and the global volumes by topic', async () => {
    const { mix, factory } = await setUp({ levelRate: 0 });
    const msgs: [string, unknown][] = [
      ['track/2/volume', 0.5],
      ['track/2/pan', -0.25],
      ['track/3/mute', true],
      ['track/3/mute', false],
      ['track/1/solo', 'on'],
      ['track/1/solo', 0],
      ['master/volume', 1.5],
      ['monitor/volume', '0.75'],
      ['metronome/volume', 0],
    ];
    for (const [topic, payload] of msgs) mix.receive({ topic, payload });
    await until(() => factory.commands().length >= msgs.length, 'a command per msg is sent');
    assert.deepEqual(factory.commands(), [
      { command: 'volume', track: 2, value: 0.5 },
      { command: 'pan', track: 2, value: -0.25 },
      { command: 'mute', track: 3, value: 0 },
      { command: 'unmute', track: 3, value: 0 },
      { command: 'solo', track: 1, value: 0 },
      { command: 'unsolo', track: 1, value: 0 },
      { command: 'masterVolume', track: 0, value: 1.5 },
      { command: 'monitorVolume', track: 0, value: 0.75 },
      { command: 'metronomeVolume', track: 0, value: 0 },
    ]);
    // the engine takes them at its next blocks: the status shows them once it has
    const applied = (t: HostStatus['tracks']): boolean => t[1].volume === 0.5 && t[1].pan === -0.25 && !t[2].muted && !t[0].soloed;
    await until(async () => applied((await hostStatus()).tracks), 'the engine applied the controls');
    const tracks = (await hostStatus()).tracks;
    assert.equal(tracks[1].volume, 0.5);
    assert.equal(tracks[1].pan, -0.25);
    assert.equal(tracks[2].muted, false);
    assert.equal(tracks[0].soloed, false);
  });

  it('shows the last control it set', async () => {
    const { mix } = await setUp({ levelRate: 0 });
    const status = nextStatus(mix, (s) => s.text === 'track/4/mute: on');
    mix.receive({ topic: 'track/4/mute', payload: 1 });
    assert.deepEqual(await status, { fill: 'green', shape: 'dot', text: 'track/4/mute: on' });
  });

  it('sends the output levels of the running engine, the click\'s peak included (the rate: test/control)', async () => {
    const { out } = await setUp({ levelRate: 20 });
    // a click every 500 ms at 120 bpm: it shows within a few level msgs
    const loud = await nextMsg<{ topic: string; payload: number; left: number; right: number }>(out, (m) => m.payload > 0.05);
    assert.equal(loud.topic, 'output');
    assert.equal(loud.payload, Math.max(loud.left, loud.right));
  });

  it('sends no levels with a rate of 0', async () => {
    const { out } = await setUp({ levelRate: 0 });
    await assert.rejects(nextMsg(out, () => true, 300));
  });
});
