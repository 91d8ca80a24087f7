import { NodeType } from '../../lib/control/constants';
import { ManualClock } from '../fixtures/manual-clock';
import { CountingFactory, assert, engineDef, engineUp, helper, loadWithFactory, nextError, nextMsg, nextStatus, play, until, userNode, wait } from './harness';

// The audio in and audio out nodes: monitoring and master volume in, levels and xruns out, and the
// grey "not available" while the engine has no device.

describe('nodes: audio in and audio out', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  async function setUp(engine: object = {}, inProps: object = {}, outProps: object = {}) {
    const factory = await loadWithFactory([
      engineDef(engine),
      ...userNode('in', NodeType.AudioIn, { levelRate: 0, ...inProps }),
      ...userNode('out', NodeType.AudioOut, outProps),
    ]);
    return { factory, audioIn: helper.getNode('in'), audioOut: helper.getNode('out') };
  }

  it('with no device chosen on purpose, show the device as running', async () => {
    const { audioIn, audioOut } = await setUp({ backend: 'null' });
    const device = (s: { text?: string }) => s.text === 'default device';
    const shown = [nextStatus(audioIn, device), nextStatus(audioOut, device)];
    assert.deepEqual(await Promise.all(shown), [
      { fill: 'green', shape: 'dot', text: 'default device' },
      { fill: 'green', shape: 'dot', text: 'default device' },
    ]);
  });

  it('when no audio device can be used, show "not available" (grey) and still take msgs', async () => {
    const { audioIn, audioOut, factory } = await setUp({ backend: 'auto' });
    const grey = (s: { fill?: string }) => s.fill === 'grey';
    const [a, b] = await Promise.all([nextStatus(audioIn, grey), nextStatus(audioOut, grey)]);
    const notAvailable = { fill: 'grey', shape: 'ring', text: 'node-red-contrib-loopstation/loopstation-engine:loopstation-engine.status.not-available' };
    assert.deepEqual([a, b], [notAvailable, notAvailable]);
    audioIn.receive({ payload: false });
    audioOut.receive({ payload: 0.5 });
    await until(() => factory.commands().length >= 2, 'both commands are sent');
    assert.deepEqual(factory.commands(), [
      { command: 'monitor', track: 0, value: 0 },
      { command: 'masterVolume', track: 0, value: 0.5 },
    ]);
    assert.equal(helper.log().args.filter((a) => a[0].level === helper.log().WARN && /no audio device/.test(String(a[0].msg))).length, 1);
  });

  it('audio in: monitoring on/off and its volume, as booleans, words, numbers or an object', async () => {
    const { audioIn, factory } = await setUp({}, { monitor: '' });
    await engineUp();
    for (const payload of [true, 'off', 'ON', 0.7, { monitor: false, volume: 2 }, { volume: '1' }, { gain: 0.25 }]) audioIn.receive({ payload });
    await until(() => factory.commands().length >= 8, 'eight commands are sent');
    assert.deepEqual(factory.commands(), [
      { command: 'monitor', track: 0, value: 1 },
      { command: 'monitor', track: 0, value: 0 },
      { command: 'monitor', track: 0, value: 1 },
      { command: 'monitorVolume', track: 0, value: 0.7 },
      { command: 'monitor', track: 0, value: 0 },
      { command: 'monitorVolume', track: 0, value: 2 },
      { command: 'monitorVolume', track: 0, value: 1 },
      { command: 'inputGain', track: 0, value: 0.25 },
    ]);
  });

  it('audio in: applies monitor settings at deploy', async () => {
    const { factory } = await setUp({}, { monitor: 'false', monitorVolume: '0.3' });
    await engineUp();
    await until(() => factory.commands().length >= 2, 'the settings are sent');
    assert.deepEqual(factory.commands(), [
      { command: 'monitor', track: 0, value: 0 },
      { command: 'monitorVolume', track: 0, value: 0.3 },
    ]);
  });

  it('audio in: sends input levels at its rate (silence on the null device)', async () => {
    await setUp({}, { levelRate: 10 });
    const levels = await nextMsg<{ topic: string; payload: number; left: number; right: number }>(helper.getNode('in-out'));
    const { _msgid, ...fields } = levels as typeof levels & { _msgid: string };
    assert.deepEqual(fields, { topic: 'input', payload: 0, left: 0, right: 0 });
  });

  it('audio out: sets the master volume', async () => {
    const { audioOut, factory } = await setUp({}, {}, { masterVolume: '0.9' });
    await engineUp();
    audioOut.receive({ payload: 1.2 });
    audioOut.receive({ payload: { volume: 0 } });
    await until(() => factory.commands().filter((c) => c.command === 'masterVolume').length >= 3, 'three volumes are sent');
    assert.deepEqual(factory.commands().filter((c) => c.command === 'masterVolume'), [
      { command: 'masterVolume', track: 0, value: 0.9 },
      { command: 'masterVolume', track: 0, value: 1.2 },
      { command: 'masterVolume', track: 0, value: 0 },
    ]);
  });

  it('audio out: on the in-process engine, export and sessions answer clearly that they need the engine host', async () => {
    const { audioOut, factory } = await setUp();
    await engineUp();
    await wait(20);
    const before = factory.commands().length;
    for (const msg of [{ payload: 'export' }, { payload: { export: 'mix.wav' } }, { command: 'list' }]) {
      const error = nextError(audioOut);
      audioOut.receive(msg);
      assert.match(await error, /^sessions need the engine host/);
    }
    assert.equal(factory.commands().length, before);
  });

  it('audio out: reports each xrun (a late block) as a msg and in the status', async () => {
    // on a manual clock, so the one late block is the one this test makes, whatever the machine's load
    const clock = new ManualClock();
    const factory = new CountingFactory(undefined, clock);
    await loadWithFactory([engineDef({ backend: 'null' }), ...userNode('in', NodeType.AudioIn, { levelRate: 0 }), ...userNode('out', NodeType.AudioOut)], factory);
    const audioOut = helper.getNode('out');
    await engineUp();
    await play(clock, 100);
    const xrun = nextMsg<{ topic: string; payload: number; frame: number }>(helper.getNode('out-out'), (m) => m.topic === 'xrun');
    const status = nextStatus(audioOut, (s) => s.fill === 'yellow');
    clock.stall(60); // the event loop blocked, as a long GC pause would
    await play(clock, 50);
    const msg = await xrun;
    assert.equal(msg.payload, 1);
    assert.ok(msg.frame > 0);
    assert.deepEqual(await status, { fill: 'yellow', shape: 'dot', text: 'default device · 1 xruns' });
  });
});
