import { NodeType } from '../../lib/control/constants';
import { assert, connectionOf, engineDef, engineUp, helper, hostStatus, loadWithFactory, nextMsg, nextStatus, until, userNode, wait } from './harness';

// The metronome node: beat msgs when the beat sounds, tempo/bar/volume/on-off/tap in.

type BeatMsg = { payload: number; beat: number; bar: number; downbeat: boolean; frame: number };

describe('nodes: metronome', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  async function setUp(engine: object = {}, props: object = {}) {
    const factory = await loadWithFactory([engineDef({ bpm: 400, ...engine }), ...userNode('met', NodeType.Metronome, props)]);
    await engineUp();
    return { factory, met: helper.getNode('met'), out: helper.getNode('met-out') };
  }

  function collectBeats(out: ReturnType<typeof helper.getNode>, count: number): Promise<BeatMsg[]> {
    return new Promise((resolve) => {
      const beats: BeatMsg[] = [];
      const onInput = (msg: BeatMsg) => {
        beats.push(msg);
        if (beats.length === count) {
          out.removeListener('input', onInput);
          resolve(beats);
        }
      };
      out.on('input', onInput);
    });
  }

  it('sends one msg per beat: beat in bar from 1, downbeat, beat and bar counters, frame', async () => {
    const { out } = await setUp();
    const beats = await collectBeats(out, 6);
    const first = beats[0].beat;
    beats.forEach((m, i) => {
      const k = first + i;
      assert.equal(m.beat, k);
      assert.equal(m.payload, (k % 4) + 1);
      assert.equal(m.downbeat, k % 4 === 0);
      assert.equal(m.bar, Math.floor(k / 4));
      assert.equal(m.frame, Math.round((k * 60 * 48000) / 400));
    });
  });

  it('a number sets the tempo from the next beat, and the status follows', async () => {
    const { met, out, factory } = await setUp();
    const status = nextStatus(met, (s) => s.text === '200 bpm · 4/4');
    met.receive({ payload: 200 });
    assert.deepEqual(await status, { fill: 'green', shape: 'dot', text: '200 bpm · 4/4' });
    const [a, b] = await collectBeats(out, 2);
    assert.equal(b.frame - a.frame, 14400);
    assert.deepEqual(factory.commands(), [{ command: 'bpm', track: 0, value: 200 }]);
  });

  it('a numeric string is a tempo too', async () => {
    const { met, factory } = await setUp();
    met.receive({ payload: ' 90.5 ' });
    await nextStatus(met, (s) => s.text === '90.5 bpm · 4/4');
    assert.deepEqual(factory.commands(), [{ command: 'bpm', track: 0, value: 90.5 }]);
  });

  it('stop and start turn the click off and on (beats go on)', async () => {
    const { met, out, factory } = await setUp();
    const off = nextStatus(met, (s) => /click off/.test(s.text ?? ''));
    met.receive({ payload: 'stop' });
    assert.deepEqual(await off, { fill: 'grey', shape: 'dot', text: '400 bpm · 4/4 · click off' });
    await nextMsg(out);
    await until(async () => (await hostStatus()).metronome === false, 'the engine has the click off');
    met.receive({ payload: 'start' });
    await nextStatus(met, (s) => s.text === '400 bpm · 4/4');
    met.receive({ payload: false });
    met.receive({ payload: true });
    assert.deepEqual(
      factory.commands().map((c) => c.value),
      [0, 1, 0, 1],
    );
  });

  it('an object sets any of bpm, beatsPerBar, volume, enabled', async () => {
    const { met, out, factory } = await setUp();
    met.receive({ payload: { bpm: 300, beatsPerBar: 3, volume: 0.25, enabled: true } });
    await nextStatus(met, (s) => s.text === '300 bpm · 3/4');
    assert.deepEqual(factory.commands(), [
      { command: 'bpm', track: 0, value: 300 },
      { command: 'beatsPerBar', track: 0, value: 3 },
      { command: 'metronomeVolume', track: 0, value: 0.25 },
      { command: 'metronome', track: 0, value: 1 },
    ]);
    const beats = await collectBeats(out, 7);
    const downbeats = beats.filter((m) => m.downbeat).map((m) => m.beat);
    assert.ok(downbeats.length >= 2 && downbeats[1] - downbeats[0] === 3, `downbeats at ${downbeats}`);
  });

  // the tempo from the taps' times is exact on a manual clock in test/control/metronome-controller
  it('tap tempo: from the second tap, each tap sends a tempo', async () => {
    const { met, factory } = await setUp();
    met.receive({ payload: 'tap' });
    await wait(20);
    met.receive({ payload: 'tap' });
    await wait(20);
    met.receive({ payload: 'TAP' });
    const commands = factory.commands();
    assert.deepEqual(commands.map((c) => c.command), ['bpm', 'bpm']);
    for (const c of commands) assert.ok((c.value as number) >= 20 && (c.value as number) <= 400, `${c.value} bpm`);
  });

  it('applies its settings at deploy (blank ones leave the engine as it is)', async () => {
    const { met, factory } = await setUp({}, { bpm: '96', beatsPerBar: '', volume: '0.8', enabled: 'false' });
    await nextStatus(met, (s) => s.text === '96 bpm · 4/4 · click off');
    assert.deepEqual(factory.commands(), [
      { command: 'bpm', track: 0, value: 96 },
      { command: 'metronomeVolume', track: 0, value: 0.8 },
      { command: 'metronome', track: 0, value: 0 },
    ]);
  });

  it('under Link: the status shows the peer count, and each beat msg carries the session beat it sounded at', async () => {
    const { met, out } = await setUp();
    const connection = connectionOf();
    // what the engine's LinkSync does (no network here): a 'link' event on each beat, just before the users get it
    const link = (e: { beat: number }) =>
      connection.emit('link', { type: 'link', peers: 2, tempo: 400, quantum: 4, playing: false, beat: { engineBeat: e.beat, beat: e.beat + 8.00012, phase: 0.00012, tempo: 400, phaseErrorMs: 0.018 } });
    connection.prependListener('beat', link);
    try {
      assert.deepEqual(await nextStatus(met, (s) => /Link/.test(s.text ?? '')), { fill: 'green', shape: 'ring', text: '400 bpm · 4/4 · Link peers: 2' });
      const msg = await nextMsg<BeatMsg & { link: Record<string, number> }>(out);
      assert.deepEqual(msg.link, { beat: msg.beat + 8.0001, phase: 0.0001, quantum: 4, tempo: 400, peers: 2, phaseErrorMs: 0.018 });
    } finally {
      connection.removeListener('beat', link);
    }
  });
});
