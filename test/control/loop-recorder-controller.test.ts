import { strict as assert } from 'assert';
import { InputError } from '../../lib/engine/commands';
import { ConfigError, NodeError } from '../../lib/control/errors';
import { LoopRecorderController, RECORDER_COMMANDS } from '../../lib/control/loop-recorder-controller';
import { EngineStatus } from '../../lib/control/status';
import { FakeContext, HostEventOf } from './fake-context';

// The loop recorder's behaviour without Node-RED: every msg path, the button gestures on a manual
// clock, and the state msgs and statuses it derives from the host's events.

function recorder(def: Record<string, unknown> = {}, status: EngineStatus = 'running') {
  const ctx = new FakeContext({ tracks: 4 });
  const rec = new LoopRecorderController(ctx, { track: 2, ...def });
  ctx.status.setEngine(status);
  return { ctx, rec };
}

const state = (track: number, s: 'empty' | 'recording' | 'playing' | 'overdubbing' | 'stopped', frame: number, frames = 0, bars = 0) =>
  ({ type: 'state', track, state: s, frame, frames, seconds: frames / 48000, bars }) as const;

describe('control: loop recorder controller', () => {
  it('sends every recorder command for its track, in any case and with spaces around', () => {
    const { ctx, rec } = recorder();
    for (const command of RECORDER_COMMANDS) rec.input({ payload: command });
    rec.input({ payload: ' Record\n' });
    const engineName = (c: string) => ({ addloop: 'addLoop', deleteloop: 'deleteLoop' })[c] ?? c;
    assert.deepEqual(ctx.commands(), [...RECORDER_COMMANDS, 'record'].map((command) => ({ command: engineName(command), track: 2, value: 0 })));
  });

  it('its track deleted (by anyone): a grey ring "no loop (deleted)", and every command but addloop refused until the track is a loop again', () => {
    const { ctx, rec } = recorder();
    ctx.emit(state(2, 'playing', 100, 96000, 1));
    ctx.emit({ type: 'loop', track: 3, frame: 150, live: false });
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'playing · 1 bar' }, 'another track');
    ctx.emit({ type: 'loop', track: 2, frame: 200, live: false });
    assert.deepEqual(ctx.shown, { fill: 'grey', shape: 'ring', text: 'no loop (deleted)' });
    ctx.emit(state(2, 'empty', 200));
    assert.deepEqual(ctx.shown, { fill: 'grey', shape: 'ring', text: 'no loop (deleted)' }, 'its clear does not hide the deletion');
    for (const payload of ['record', 'deleteloop', 1]) {
      assert.throws(() => rec.input({ payload }), (err: unknown) => {
        assert.ok(err instanceof NodeError);
        assert.match(err.message, /^track 2 is no loop \(it was deleted\): "(record|deleteloop|toggle)" was not sent; send "addloop" to add it again$/);
        return true;
      });
    }
    assert.deepEqual(ctx.sent, []);
    rec.input({ payload: 'addLoop' });
    assert.deepEqual(ctx.commands(), [{ command: 'addLoop', track: 2, value: 0 }]);
    ctx.emit({ type: 'loop', track: 2, frame: 300, live: true });
    assert.deepEqual(ctx.shown, { fill: 'grey', shape: 'ring', text: 'empty' });
    rec.input({ payload: 'record' });
    assert.equal(ctx.commands().length, 2);
  });

  it('learns from a status that its track is no loop (a node deployed after the delete)', async () => {
    const { ctx, rec } = recorder();
    ctx.answer = () => {
      const status = ctx.hostStatus();
      status.tracks[1] = { ...status.tracks[1], live: false };
      return status;
    };
    rec.engineStatus('running');
    await ctx.drain();
    assert.deepEqual(ctx.shown, { fill: 'grey', shape: 'ring', text: 'no loop (deleted)' });
  });

  it('refuses anything else, naming msg.payload and what is accepted, and sends nothing', () => {
    const { ctx, rec } = recorder();
    for (const payload of ['bpm', 'volume', 2, -1, {}, [], null, undefined, 'x'.repeat(100)]) {
      assert.throws(() => rec.input({ payload }), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(err.field, 'msg.payload');
        assert.match(err.problem, payload === undefined ? /^missing; accepted: record, overdub/ : /; accepted: record, overdub, .*button level/);
        return true;
      });
    }
    assert.deepEqual(ctx.sent, []);
  });

  it('chooses its input: the setting at each engine start, then {payload: "input", value}; a source the engine lacks is refused', () => {
    const ctx = new FakeContext({ tracks: 4, inputChannels: 4 });
    const rec = new LoopRecorderController(ctx, { track: 2, source: '3-4' });
    ctx.status.setEngine('running');
    rec.engineStatus('running');
    assert.deepEqual(ctx.takeCommands(), [{ command: 'input', track: 2, value: -3 }]);
    rec.input({ payload: 'input', value: '1' });
    rec.input({ payload: 'input', value: 2 });
    rec.input({ payload: 'input', value: 'all' });
    assert.deepEqual(ctx.takeCommands(), [1, 2, 0].map((value) => ({ command: 'input', track: 2, value })));
    for (const value of ['5', '4-5', '1-3', 'guitar', undefined]) {
      assert.throws(() => rec.input({ payload: 'input', value }), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(err.field, 'msg.value');
        assert.match(err.problem, /(is not an input of this engine|^missing); accepted: "all", a channel from 1 to 4 \(mono\), or a pair like "1-2"/);
        return true;
      });
    }
    assert.deepEqual(ctx.sent, []);
    rec.input({ payload: 'input', value: '2' });
    assert.match(String(ctx.shown?.text), /in 2$/);
    assert.throws(() => new LoopRecorderController(new FakeContext({ tracks: 4 }), { track: 1, source: '3' }), (err: unknown) =>
      err instanceof ConfigError && /source/.test(err.message) && /channel 3 is out of range/.test(err.message));
  });

  it('sends the track\'s meter as level msgs at its level rate (off by default): peak and RMS per side', () => {
    const levels = (peak: number, rms: number): HostEventOf<'levels'> =>
      ({ type: 'levels', input: [0, 0], output: [0, 0], tracks: [{ peak: [0.9, 0.9], rms: [0.5, 0.5] }, { peak: [peak, peak / 2], rms: [rms, rms / 2] }] });
    const off = recorder();
    off.ctx.emit(levels(0.5, 0.25));
    assert.deepEqual(off.ctx.outputs, []);
    const { ctx } = recorder({ levelRate: 10 });
    ctx.emit(levels(0.5, 0.25));
    ctx.clock.advance(50);
    ctx.emit(levels(0.75, 0.125));
    ctx.clock.advance(50);
    ctx.emit(levels(0.25, 0.0625));
    assert.deepEqual(ctx.outputs, [
      { topic: 'level', payload: 0.5, left: 0.5, right: 0.25, track: 2, rms: 0.25, rmsLeft: 0.25, rmsRight: 0.125 },
      { topic: 'level', payload: 0.75, left: 0.75, right: 0.375, track: 2, rms: 0.125, rmsLeft: 0.125, rmsRight: 0.0625 },
    ]);
  });

  it('mute and unmute show at once (the host reports no state for them)', () => {
    const { ctx, rec } = recorder();
    ctx.emit(state(2, 'playing', 100, 96000, 1));
    rec.input({ payload: 'mute' });
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'playing · 1 bar · muted' });
    rec.input({ payload: 'unmute' });
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'playing · 1 bar' });
  });

  it('sends a msg for each state of its own track, with the loop length, and shows it', () => {
    const { ctx } = recorder();
    ctx.emit(state(1, 'recording', 50));
    assert.deepEqual(ctx.outputs, [], 'another track');
    ctx.emit(state(2, 'recording', 100));
    assert.deepEqual(ctx.shown, { fill: 'red', shape: 'dot', text: 'recording' });
    ctx.emit(state(2, 'playing', 192100, 192000, 2));
    assert.deepEqual(ctx.outputs, [
      { payload: 'recording', track: 2, frames: 0, seconds: 0, bars: 0, frame: 100 },
      { payload: 'playing', track: 2, frames: 192000, seconds: 4, bars: 2, frame: 192100 },
    ]);
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'playing · 2 bars' });
    ctx.emit(state(2, 'overdubbing', 200000, 192000, 2));
    assert.deepEqual(ctx.shown, { fill: 'yellow', shape: 'dot', text: 'overdubbing · 2 bars' });
    ctx.emit(state(2, 'stopped', 300000, 192000, 2));
    assert.deepEqual(ctx.shown, { fill: 'grey', shape: 'dot', text: 'stopped · 2 bars' });
    ctx.emit(state(2, 'empty', 400000));
    assert.deepEqual(ctx.shown, { fill: 'grey', shape: 'ring', text: 'empty' });
  });

  it('shows a pending action as a blue ring until it lands', () => {
    const { ctx } = recorder();
    ctx.emit({ type: 'pending', track: 2, state: 'recording', frame: 96000 });
    assert.deepEqual(ctx.shown, { fill: 'blue', shape: 'ring', text: '→ recording' });
    ctx.emit({ type: 'pending', track: 3, state: 'playing', frame: 96000 });
    assert.deepEqual(ctx.shown, { fill: 'blue', shape: 'ring', text: '→ recording' }, 'another track');
    ctx.emit(state(2, 'recording', 96000));
    assert.deepEqual(ctx.shown, { fill: 'red', shape: 'dot', text: 'recording' });
  });

  it('warns about a refused command of its track, with a red ring, and sends no msg', () => {
    const { ctx } = recorder();
    ctx.emit({ type: 'error', track: 1, message: 'the track is empty' });
    ctx.emit({ type: 'error', track: 2, message: 'the track is empty' });
    assert.deepEqual(ctx.warnings, ['track 2: the track is empty']);
    assert.deepEqual(ctx.shown, { fill: 'red', shape: 'ring', text: 'the track is empty' });
    assert.deepEqual(ctx.outputs, []);
  });

  it('asks the host for its track once the engine runs; a reply older than the last state is ignored', async () => {
    const { ctx, rec } = recorder({}, 'starting');
    ctx.answer = () => ctx.hostStatus([{ track: 2, state: 'playing', frames: 96000, bars: 1, muted: true }], { frame: 500 });
    rec.engineStatus('running');
    ctx.status.setEngine('running');
    await ctx.drain();
    assert.deepEqual(ctx.queries, [{ type: 'status' }]);
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'playing · 1 bar · muted' });

    ctx.emit(state(2, 'recording', 1000));
    rec.engineStatus('no-device');
    await ctx.drain();
    assert.deepEqual(ctx.shown, { fill: 'red', shape: 'dot', text: 'recording · muted' }, 'the reply (frame 500) is older than the state (frame 1000)');
    rec.engineStatus('crashed');
    rec.engineStatus('stopped');
    await ctx.drain();
    assert.equal(ctx.queries.length, 2, 'no request while the engine is down');
  });

  it('a status request that fails (the host went away) changes nothing', async () => {
    const { ctx, rec } = recorder();
    ctx.answer = () => {
      throw new Error('the engine is not running');
    };
    const before = ctx.statuses.length;
    rec.engineStatus('running');
    await ctx.drain();
    assert.equal(ctx.statuses.length, before);
  });

  it('throws the not-running error when the host is down (the node reports it)', () => {
    const { ctx, rec } = recorder();
    ctx.running = false;
    assert.throws(() => rec.input({ payload: 'record' }), /the engine is not running/);
  });

  describe('settings', () => {
    it('needs a track from 1 to the engine\'s track count', () => {
      const ctx = new FakeContext({ tracks: 4 });
      assert.throws(() => new LoopRecorderController(ctx, {}), (e: unknown) => e instanceof ConfigError && /setting track: missing; accepted: an integer from 1 to 4/.test(e.message));
      assert.throws(() => new LoopRecorderController(ctx, { track: 5 }), (e: unknown) => e instanceof ConfigError && /track/.test(e.message));
      assert.equal(new LoopRecorderController(ctx, { track: '4' }).settings.track, 4);
    });
    it('checks the gesture times', () => {
      const ctx = new FakeContext();
      assert.throws(() => new LoopRecorderController(ctx, { track: 1, holdMs: 50 }), /holdMs/);
      assert.throws(() => new LoopRecorderController(ctx, { track: 1, doubleTapMs: 5000 }), /doubleTapMs/);
    });
  });

  describe('button levels on a manual clock', () => {
    const gestures = (def: Record<string, unknown> = {}) => recorder({ doubleTapMs: 400, holdMs: 1000, ...def });

    it('a tap acts on the press: toggle', () => {
      const { ctx, rec } = gestures();
      rec.input({ payload: 1 });
      assert.deepEqual(ctx.takeCommands(), [{ command: 'toggle', track: 2, value: 0 }]);
      ctx.clock.advance(100);
      rec.input({ payload: 0 });
      ctx.clock.advance(2000);
      assert.deepEqual(ctx.takeCommands(), [], 'a released tap does nothing more');
    });

    it('a second press within doubleTapMs is a double tap: stop; after it, a tap again', () => {
      const { ctx, rec } = gestures();
      rec.input({ payload: true });
      ctx.clock.advance(100);
      rec.input({ payload: false });
      ctx.clock.advance(300);
      rec.input({ payload: true });
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle', 'stop']);
      rec.input({ payload: false });
      ctx.clock.advance(401);
      rec.input({ payload: true });
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle'], 'more than doubleTapMs later: a tap');
    });

    it('a press held for holdMs is a hold: clear, while the button is still down', () => {
      const { ctx, rec } = gestures();
      rec.input({ payload: '1' });
      ctx.clock.advance(999);
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle']);
      ctx.clock.advance(1);
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['clear']);
      rec.input({ payload: '0' });
      assert.equal(ctx.clock.pending, 0);
      ctx.clock.advance(100);
      rec.input({ payload: '1' });
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle'], 'a press after a hold starts afresh');
    });

    it('a release before holdMs cancels the hold', () => {
      const { ctx, rec } = gestures();
      rec.input({ payload: 1 });
      ctx.clock.advance(990);
      rec.input({ payload: 0 });
      ctx.clock.advance(5000);
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle']);
      assert.equal(ctx.clock.pending, 0);
    });

    it('with "pressed is 0" (pull-up) 0 presses and 1 releases', () => {
      const { ctx, rec } = gestures({ pressedLevel: false });
      rec.input({ payload: 1 });
      assert.deepEqual(ctx.takeCommands(), []);
      rec.input({ payload: 0 });
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle']);
      ctx.clock.advance(1000);
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['clear']);
    });

    it('ignores a repeated level (a bouncing or re-sent input)', () => {
      const { ctx, rec } = gestures();
      rec.input({ payload: 1 });
      ctx.clock.advance(10);
      rec.input({ payload: 1 });
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle']);
      ctx.clock.advance(990);
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['clear'], 'the hold still counts from the first press');
    });

    it('close cancels a pending hold', () => {
      const { ctx, rec } = gestures();
      rec.input({ payload: 1 });
      assert.equal(ctx.clock.pending, 1);
      rec.close();
      assert.equal(ctx.clock.pending, 0);
      ctx.clock.advance(2000);
      assert.deepEqual(ctx.takeCommands().map((c) => c.command), ['toggle']);
    });
  });
});
