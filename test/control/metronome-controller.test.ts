import { strict as assert } from 'assert';
import { InputError } from '../../lib/engine/commands';
import { MetronomeController } from '../../lib/control/metronome-controller';
import { FakeContext } from './fake-context';

// The metronome node's behaviour without Node-RED: each msg form, tap tempo on a manual clock, one msg
// per beat event, the tempo in the status, and the settings a (re)started host gets.

function metronome(def: Record<string, unknown> = {}) {
  const ctx = new FakeContext({ bpm: 120, beatsPerBar: 4 });
  const met = new MetronomeController(ctx, def);
  ctx.status.setEngine('running');
  return { ctx, met };
}

describe('control: metronome controller', () => {
  it('a number or a numeric string is the tempo', () => {
    const { ctx, met } = metronome();
    met.input({ payload: 97.5 });
    met.input({ payload: ' 200 ' });
    assert.deepEqual(ctx.commands(), [{ command: 'bpm', track: 0, value: 97.5 }, { command: 'bpm', track: 0, value: 200 }]);
  });

  it('start/on/true and stop/off/false turn the click on and off, shown at once', () => {
    const { ctx, met } = metronome();
    for (const payload of ['stop', 'off', false]) met.input({ payload });
    assert.deepEqual(ctx.shown, { fill: 'grey', shape: 'dot', text: '120 bpm · 4/4 · click off' });
    for (const payload of ['Start', 'on', true]) met.input({ payload });
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: '120 bpm · 4/4' });
    assert.deepEqual(ctx.commands().map((c) => c.value), [0, 0, 0, 1, 1, 1]);
    assert.ok(ctx.commands().every((c) => c.command === 'metronome' && c.track === 0));
  });

  it('the click\'s output bus: the setting, {bus} in a msg, each checked against the engine\'s output channels', () => {
    const ctx = new FakeContext({ bpm: 120, beatsPerBar: 4, outputChannels: 4 });
    const met = new MetronomeController(ctx, { bus: '2' });
    assert.deepEqual(met.settings.bus, 2);
    met.input({ payload: { bus: 1 } });
    assert.deepEqual(ctx.takeCommands(), [{ command: 'metronomeBus', track: 0, value: 1 }]);
    assert.throws(() => met.input({ payload: { bus: 3 } }), /msg.payload.bus: 3 is not an output bus of this engine; accepted: a bus from 1 to 2/);
    assert.throws(() => met.input({ payload: { bus: 0 } }), /msg.payload.bus: 0 is out of range/);
    assert.deepEqual(ctx.sent, []);
    assert.throws(() => new MetronomeController(new FakeContext(), { bus: 2 }), /bus.*2 is not an output bus of this engine; accepted: a bus from 1 to 1/);
  });

  it('an object sets any of bpm, beatsPerBar, volume and enabled', () => {
    const { ctx, met } = metronome();
    met.input({ payload: { bpm: 90, beatsPerBar: 3, volume: 0.25, enabled: 'off' } });
    assert.deepEqual(ctx.commands(), [
      { command: 'bpm', track: 0, value: 90 },
      { command: 'beatsPerBar', track: 0, value: 3 },
      { command: 'metronomeVolume', track: 0, value: 0.25 },
      { command: 'metronome', track: 0, value: 0 },
    ]);
  });

  it('refuses a bad msg, naming the field, and sends nothing', () => {
    const { ctx, met } = metronome();
    const cases: [unknown, string, RegExp][] = [
      [500, 'msg.payload (bpm)', /500 is out of range; accepted: a number from 20 to 400/],
      ['fast', 'msg.payload', /"fast" is not a bpm or a metronome command; accepted:/],
      [{ tempo: 100 }, 'msg.payload.tempo', /unknown setting; accepted: bpm, beatsPerBar, volume, enabled/],
      [{}, 'msg.payload', /an empty object sets nothing/],
      [{ beatsPerBar: 2.5 }, 'msg.payload.beatsPerBar', /accepted: an integer from 1 to 32/],
      [{ enabled: 'maybe' }, 'msg.payload.enabled', /is not on\/off/],
      [undefined, 'msg.payload', /^missing; accepted:/],
      [[1], 'msg.payload', /an array of 1 is not a metronome command/],
    ];
    for (const [payload, field, problem] of cases) {
      assert.throws(() => met.input({ payload }), (e: unknown) => e instanceof InputError && e.field === field && problem.test(e.problem), `payload ${JSON.stringify(payload)}`);
    }
    assert.deepEqual(ctx.sent, []);
  });

  it('tap tempo: the tempo of the taps, from the second tap', () => {
    const { ctx, met } = metronome();
    met.input({ payload: 'tap' });
    assert.deepEqual(ctx.takeCommands(), [], 'one tap gives no tempo');
    for (let i = 0; i < 3; i++) {
      ctx.clock.advance(500);
      met.input({ payload: 'tap' });
    }
    assert.deepEqual(ctx.takeCommands(), [1, 2, 3].map(() => ({ command: 'bpm', track: 0, value: 120 })));
    ctx.clock.advance(400);
    met.input({ payload: 'TAP' });
    assert.deepEqual(ctx.takeCommands(), [{ command: 'bpm', track: 0, value: 120 }], 'the median interval: one short tap does not move it');
    ctx.clock.advance(3001);
    met.input({ payload: 'tap' });
    assert.deepEqual(ctx.takeCommands(), [], 'a pause longer than a 20 bpm beat starts a new series');
  });

  it('sends one msg per beat event: beat in bar from 1, beat and bar counters, downbeat, frame', () => {
    const { ctx } = metronome();
    for (let k = 3; k < 6; k++) ctx.emit({ type: 'beat', frame: k * 24000, beat: k, beatInBar: k % 4, bar: Math.floor(k / 4), downbeat: k % 4 === 0 });
    assert.deepEqual(ctx.outputs, [
      { payload: 4, beat: 3, bar: 0, downbeat: false, frame: 72000 },
      { payload: 1, beat: 4, bar: 1, downbeat: true, frame: 96000 },
      { payload: 2, beat: 5, bar: 1, downbeat: false, frame: 120000 },
    ]);
  });

  it('shows the tempo when the host reports it (a tempo change lands on its beat)', () => {
    const { ctx, met } = metronome();
    met.input({ payload: 200 });
    assert.equal(ctx.statuses.length, 1, 'nothing shown before the tempo lands');
    ctx.emit({ type: 'tempo', frame: 96000, bpm: 200, beatsPerBar: 3 });
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: '200 bpm · 3/4' });
  });

  it('a (re)started host: reads its status, then gets the node\'s settings (blank ones leave it)', async () => {
    const ctx = new FakeContext();
    const met = new MetronomeController(ctx, { bpm: '90', beatsPerBar: '', volume: '0.3', enabled: true });
    ctx.status.setEngine('running');
    ctx.answer = () => ctx.hostStatus([], { bpm: 133, beatsPerBar: 7, metronome: false });
    met.engineStatus('running');
    await ctx.drain();
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: '133 bpm · 7/4' }, 'the host\'s tempo, then enabled by the settings');
    assert.deepEqual(ctx.commands(), [
      { command: 'bpm', track: 0, value: 90 },
      { command: 'metronomeVolume', track: 0, value: 0.3 },
      { command: 'metronome', track: 0, value: 1 },
    ]);
    met.engineStatus('crashed');
    await ctx.drain();
    assert.equal(ctx.queries.length, 1);
  });

  it('a host that goes away while starting up: nothing thrown, nothing sent', async () => {
    const ctx = new FakeContext();
    const met = new MetronomeController(ctx, { bpm: 90 });
    ctx.running = false;
    met.engineStatus('running');
    await ctx.drain();
    assert.deepEqual(ctx.sent, []);
  });
});
