import { NodeType } from '../../lib/control/constants';
import { ManualClock } from '../fixtures/manual-clock';
import { CountingFactory, assert, engineDef, engineUp, helper, hostStatus, loadWithFactory, nextError, nextMsg, nextStatus, play, userNode, wait } from './harness';

// The loop recorder node against the in-process engine: every command, button gestures, statuses. The
// engine runs on a manual clock where a test plays engine time (play), on the system clock where the
// node's own timers (a button hold) must run too. Exact gesture timings: test/control.

type StateMsg = { payload: string; track: number; frames: number; seconds: number; bars: number; frame: number };

describe('nodes: loop recorder', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  const flow = (props: object = {}) => [engineDef(), ...userNode('rec', NodeType.LoopRecorder, { track: 2, ...props })];

  async function setUp(props: object = {}, clock?: ManualClock) {
    const factory = await loadWithFactory(flow(props), new CountingFactory(undefined, clock));
    await engineUp();
    return { factory, rec: helper.getNode('rec'), out: helper.getNode('rec-out') };
  }

  /** Sends payload and resolves with the state msg that follows (playing a block of engine time on `clock`). */
  async function press(node: ReturnType<typeof helper.getNode>, out: ReturnType<typeof helper.getNode>, payload: unknown, state: string, clock?: ManualClock): Promise<StateMsg> {
    const got = nextMsg<StateMsg>(out, (m) => m.payload === state);
    node.receive({ payload });
    if (clock) await play(clock, 20);
    return got;
  }

  it('loads with its track and shows the track empty once the engine runs', async () => {
    await loadWithFactory(flow());
    const rec = helper.getNode('rec');
    const status = await nextStatus(rec, (s) => s.text === 'empty');
    assert.deepEqual(status, { fill: 'grey', shape: 'ring', text: 'empty' });
    assert.equal((rec as unknown as { type: string }).type, NodeType.LoopRecorder);
  });

  it('runs every command and sends the state each time it changes, with the loop length', async () => {
    const clock = new ManualClock();
    const { rec, out, factory } = await setUp({}, clock);
    const recording = await press(rec, out, 'record', 'recording', clock);
    const { _msgid, ...fields } = recording as StateMsg & { _msgid: string };
    assert.deepEqual({ ...fields, frame: 0 }, { payload: 'recording', track: 2, frames: 0, seconds: 0, bars: 0, frame: 0 });
    await play(clock, 300);
    const playing = await press(rec, out, 'record', 'playing', clock);
    // 300 ms of engine time (and the block the msg came in), in whole blocks: commands land at a block start
    assert.equal(playing.frames % 256, 0);
    assert.ok(Math.abs(playing.frames - 0.32 * 48000) <= 2 * 256, `loop of ${playing.frames} frames`);
    assert.equal(playing.seconds, playing.frames / 48000);
    assert.equal(playing.bars, Math.round((playing.frames / 96000) * 1000) / 1000);
    assert.ok(playing.frame > recording.frame);
    await press(rec, out, 'overdub', 'overdubbing', clock);
    await press(rec, out, 'play', 'playing', clock);
    await press(rec, out, 'stop', 'stopped', clock);
    await press(rec, out, 'play', 'playing', clock);
    await press(rec, out, 'toggle', 'overdubbing', clock);
    await press(rec, out, 'toggle', 'playing', clock);
    await press(rec, out, 'undo', 'playing', clock);
    await press(rec, out, 'redo', 'playing', clock);

    rec.receive({ payload: 'mute' });
    await nextStatus(rec, (s) => /muted/.test(s.text ?? ''));
    await play(clock, 20); // the engine applies it at its next block
    assert.equal((await hostStatus()).tracks[1].muted, true);
    rec.receive({ payload: 'unmute' });
    await nextStatus(rec, (s) => !/muted/.test(s.text ?? ''));
    await play(clock, 20);
    assert.equal((await hostStatus()).tracks[1].muted, false);

    const cleared = await press(rec, out, 'clear', 'empty', clock);
    assert.equal(cleared.frames, 0);
    assert.deepEqual(
      factory.commands().map((c) => c.command),
      ['record', 'record', 'overdub', 'play', 'stop', 'play', 'toggle', 'toggle', 'undo', 'redo', 'mute', 'unmute', 'clear'],
    );
    assert.ok(factory.commands().every((c) => c.track === 2));
  });

  it('accepts command words in any case and with spaces around them (dashboards, MQTT)', async () => {
    const { rec, out } = await setUp();
    await press(rec, out, '  Record\n', 'recording');
  });

  it('shows the state in the status: colour by state, length in bars', async () => {
    const clock = new ManualClock();
    const { rec, out } = await setUp({}, clock);
    const recording = nextStatus(rec, (s) => s.text === 'recording');
    rec.receive({ payload: 'record' });
    await play(clock, 20);
    assert.deepEqual(await recording, { fill: 'red', shape: 'dot', text: 'recording' });
    await play(clock, 100);
    const playing = nextStatus(rec, (s) => /^playing/.test(s.text ?? ''));
    await press(rec, out, 'play', 'playing', clock);
    const s = await playing;
    assert.equal(s.fill, 'green');
    assert.match(s.text ?? '', /^playing · ([\d.]+ bars|1 bar)$/);
  });

  it('warns (without failing the msg) when a command cannot act: play on an empty track', async () => {
    const { rec } = await setUp();
    const warned = new Promise<string>((resolve) => rec.once('call:warn', (call: { args: [string] }) => resolve(call.args[0])));
    const failed = nextStatus(rec, (s) => s.fill === 'red' && s.shape === 'ring');
    rec.receive({ payload: 'play' });
    assert.equal(await warned, 'track 2: play: the track is empty');
    assert.equal((await failed).text, 'play: the track is empty');
  });

  it('shows a quantized command as pending until it lands, then the new state', async () => {
    const factory = await loadWithFactory([engineDef({ quantize: 'bar', bpm: 400 }), ...userNode('rec', NodeType.LoopRecorder, { track: 1 })]);
    await engineUp();
    const rec = helper.getNode('rec');
    const out = helper.getNode('rec-out');
    const pending = nextStatus(rec, (s) => s.text === '→ recording');
    const recording = nextMsg<StateMsg>(out, (m) => m.payload === 'recording');
    rec.receive({ payload: 'record' });
    assert.deepEqual(await pending, { fill: 'blue', shape: 'ring', text: '→ recording' });
    const msg = await recording;
    // a bar at 400 bpm is 4 * 7200 frames: the recording starts on a bar line
    assert.equal(msg.frame % 28800, 0);
    assert.equal(factory.commands().length, 1);
  });

  // On the system clock: the node's hold timer runs in real time. The gestures' every case and exact
  // timing: test/control/loop-recorder-controller.test.ts.
  describe('button levels (GPIO)', () => {
    const times = { doubleTapMs: 50, holdMs: 200 };

    it('a tap toggles, on the press: record, then play', async () => {
      const { rec, out, factory } = await setUp(times);
      const recording = nextMsg<StateMsg>(out, (m) => m.payload === 'recording');
      rec.receive({ payload: 1 });
      await recording;
      rec.receive({ payload: 0 });
      await wait(60); // past the double-tap window
      const playing = nextMsg<StateMsg>(out, (m) => m.payload === 'playing');
      rec.receive({ payload: true });
      rec.receive({ payload: false });
      assert.ok((await playing).frames > 0);
      assert.deepEqual(factory.commands().map((c) => c.command), ['toggle', 'toggle']);
    });

    it('a double tap stops', async () => {
      const { rec, out, factory } = await setUp(times);
      await press(rec, out, 'record', 'recording');
      await press(rec, out, 'record', 'playing');
      const stopped = nextMsg<StateMsg>(out, (m) => m.payload === 'stopped');
      for (const level of [1, 0, 1, 0]) rec.receive({ payload: level });
      await stopped;
      assert.deepEqual(factory.commands().map((c) => c.command), ['record', 'record', 'toggle', 'stop']);
    });

    it('a hold clears, while the button is still down (the node\'s timer fires)', async () => {
      const { rec, out, factory } = await setUp(times);
      await press(rec, out, 'record', 'recording');
      await press(rec, out, 'record', 'playing');
      const empty = nextMsg<StateMsg>(out, (m) => m.payload === 'empty', 3000);
      rec.receive({ payload: '1' });
      await empty;
      assert.deepEqual(factory.commands().map((c) => c.command), ['record', 'record', 'toggle', 'clear']);
      rec.receive({ payload: '0' });
    });

    it('with "pressed is 0" (pull-up), 0 presses and 1 releases', async () => {
      const { rec, out, factory } = await setUp({ ...times, pressedLevel: '0' });
      const recording = nextMsg<StateMsg>(out, (m) => m.payload === 'recording');
      rec.receive({ payload: 1 }); // released: nothing
      assert.equal(factory.commands().length, 0);
      rec.receive({ payload: 0 });
      await recording;
      rec.receive({ payload: 1 });
      assert.deepEqual(factory.commands().map((c) => c.command), ['toggle']);
    });

    it('a pending hold does not outlive the node (close clears its timer)', async () => {
      const { rec, factory } = await setUp(times);
      rec.receive({ payload: 1 });
      await helper.unload();
      await wait(250); // past the hold time
      assert.deepEqual(factory.commands().map((c) => c.command), ['toggle']);
      assert.equal(factory.running, 0);
    });
  });

  it('refuses a track the engine does not have, at deploy, naming the setting', async () => {
    await loadWithFactory([engineDef({ tracks: 4 }), ...userNode('rec', NodeType.LoopRecorder, { track: 5 })]);
    const rec = helper.getNode('rec');
    const logged = helper.log().args.filter((a) => a[0].id === 'rec' && a[0].level === helper.log().ERROR).map((a) => String(a[0].msg));
    assert.deepEqual(logged, ['setting track: 5 is out of range; accepted: an integer from 1 to 4']);
    const error = nextError(rec);
    rec.receive({ payload: 'record' });
    assert.equal(await error, 'setting track: 5 is out of range; accepted: an integer from 1 to 4');
  });

  it('keeps its recorded loop across a deploy of the modified recorder (the host keeps running)', async () => {
    const clock = new ManualClock();
    const factory = new CountingFactory(undefined, clock);
    await loadWithFactory(flow(), factory);
    await engineUp();
    const rec = helper.getNode('rec');
    const out = helper.getNode('rec-out');
    await press(rec, out, 'record', 'recording', clock);
    await play(clock, 100);
    const played = await press(rec, out, 'record', 'playing', clock);
    await helper.setFlows(flow({ name: 'renamed', holdMs: 1500 }), 'nodes');
    const again = helper.getNode('rec');
    await nextStatus(again, (s) => /^playing/.test(s.text ?? ''));
    assert.equal(factory.made, 1);
    const status = await hostStatus();
    assert.equal(status.tracks[1].state, 'playing');
    assert.equal(status.tracks[1].frames, played.frames);
  });
});
