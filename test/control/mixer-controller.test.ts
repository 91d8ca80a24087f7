import { strict as assert } from 'assert';
import { InputError } from '../../lib/engine/commands';
import { MixerController } from '../../lib/control/mixer-controller';
import { FakeContext } from './fake-context';

// The mixer node's behaviour without Node-RED: each topic, bad msgs, the status, and the output levels
// at their rate on a manual clock.

function mixer(def: Record<string, unknown> = { levelRate: 0 }) {
  const ctx = new FakeContext({ tracks: 4 });
  const mix = new MixerController(ctx, def);
  ctx.status.setEngine('running');
  return { ctx, mix };
}

/** Level reports every 50 ms (as the host sends them) for `ms`, output peaks from `peak(i)`. */
function reportLevels(ctx: FakeContext, ms: number, peak: (i: number) => [number, number] = () => [0.5, 0.25]): void {
  for (let i = 0; i * 50 < ms; i++) {
    ctx.emit({ type: 'levels', input: [0.9, 0.9], output: peak(i) });
    ctx.clock.advance(50);
  }
}

describe('control: mixer controller', () => {
  it('routing: a track\'s cue bus and send, the metronome and monitor bus and the monitor input, checked against the engine\'s channel counts', () => {
    const ctx = new FakeContext({ tracks: 4, inputChannels: 4, outputChannels: 4 });
    const mix = new MixerController(ctx, { levelRate: 0 });
    ctx.status.setEngine('running');
    const msgs: [string, unknown, string, number][] = [
      ['track/2/cue', 2, 'track/2/cue: 2', 2],
      ['track/2/send', '0.5', 'track/2/send: 0.5', 0.5],
      ['track/2/cue', 0, 'track/2/cue: 0', 0],
      ['metronome/bus', 2, 'metronome/bus: 2', 2],
      ['monitor/bus', '1', 'monitor/bus: 1', 1],
      ['monitor/input', '3-4', 'monitor/input: 3-4', -3],
    ];
    for (const [topic, payload, text] of msgs) {
      mix.input({ topic, payload });
      assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text });
    }
    assert.deepEqual(ctx.takeCommands().map((c) => [c.command, c.track, c.value]), [
      ['cueBus', 2, 2], ['cueSend', 2, 0.5], ['cueBus', 2, 0], ['metronomeBus', 0, 2], ['monitorBus', 0, 1], ['monitorInput', 0, -3],
    ]);
    const refused: [string, unknown, RegExp][] = [
      ['track/1/cue', 3, /msg.payload: 3 is not an output bus of this engine; accepted: 0 \(none\) or a bus from 1 to 2/],
      ['metronome/bus', 0, /msg.payload: 0 is out of range; accepted: an integer from 1 to 16/],
      ['metronome/bus', 3, /accepted: a bus from 1 to 2/],
      ['monitor/input', '5', /msg.payload: "5" is not an input of this engine; accepted: "all", a channel from 1 to 4/],
      ['track/1/send', 3, /msg.payload: 3 is out of range; accepted: a number from 0 to 2/],
    ];
    for (const [topic, payload, message] of refused) assert.throws(() => mix.input({ topic, payload }), message);
    assert.deepEqual(ctx.sent, []);
  });


  it('sets each track control and the global volumes by topic, and shows the last one', () => {
    const { ctx, mix } = mixer();
    const msgs: [string, unknown, string][] = [
      ['track/2/volume', 0.5, 'track/2/volume: 0.5'],
      ['track/2/pan', '-0.25', 'track/2/pan: -0.25'],
      ['track/3/mute', true, 'track/3/mute: on'],
      ['track/3/mute', 'off', 'track/3/mute: off'],
      ['track/1/solo', 1, 'track/1/solo: on'],
      ['track/1/solo', 0, 'track/1/solo: off'],
      ['track/4/inputGain', 1.5, 'track/4/inputGain: 1.5'],
      ['track/4/feedback', 0.8, 'track/4/feedback: 0.8'],
      ['master/volume', 1.5, 'master/volume: 1.5'],
      ['monitor/volume', 0.75, 'monitor/volume: 0.75'],
      ['metronome/volume', 0, 'metronome/volume: 0'],
    ];
    for (const [topic, payload, text] of msgs) {
      mix.input({ topic, payload });
      assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text });
    }
    assert.deepEqual(ctx.commands(), [
      { command: 'volume', track: 2, value: 0.5 },
      { command: 'pan', track: 2, value: -0.25 },
      { command: 'mute', track: 3, value: 0 },
      { command: 'unmute', track: 3, value: 0 },
      { command: 'solo', track: 1, value: 0 },
      { command: 'unsolo', track: 1, value: 0 },
      { command: 'inputGain', track: 4, value: 1.5 },
      { command: 'feedback', track: 4, value: 0.8 },
      { command: 'masterVolume', track: 0, value: 1.5 },
      { command: 'monitorVolume', track: 0, value: 0.75 },
      { command: 'metronomeVolume', track: 0, value: 0 },
    ]);
  });

  it('refuses a bad topic, track or value, naming where it was, and sends nothing', () => {
    const { ctx, mix } = mixer();
    const cases: [unknown, unknown, string, RegExp][] = [
      ['track/2/gain', 1, 'msg.topic', /"track\/2\/gain" is not a mixer control; accepted: track\/<1-4>\/volume/],
      [undefined, 1, 'msg.topic', /^missing; accepted:/],
      ['track/9/volume', 1, 'msg.topic (track)', /9 is out of range; accepted: an integer from 1 to 4/],
      ['track/x/pan', 0, 'msg.topic (track)', /"x" is not a number/],
      ['track/1/volume', 3, 'msg.payload', /3 is out of range; accepted: a number from 0 to 2/],
      ['track/1/pan', 'left', 'msg.payload', /"left" is not a number/],
      ['track/1/mute', 'maybe', 'msg.payload', /is not on\/off/],
      ['track/1/feedback', 1.5, 'msg.payload', /1.5 is out of range; accepted: a number from 0 to 1/],
      ['master/volume', undefined, 'msg.payload', /is not a number/],
    ];
    for (const [topic, payload, field, problem] of cases) {
      assert.throws(() => mix.input({ topic, payload }), (e: unknown) => e instanceof InputError && e.field === field && problem.test(e.problem), `${String(topic)} ${String(payload)}`);
    }
    assert.deepEqual(ctx.sent, []);
  });

  it('sends the output levels at its rate (20 a second from 50 ms reports), the highest peak held', () => {
    const { ctx } = mixer({ levelRate: 20 });
    reportLevels(ctx, 1100);
    assert.equal(ctx.outputs.length, 22);
    assert.deepEqual(ctx.outputs[0], { topic: 'output', payload: 0.5, left: 0.5, right: 0.25 });
  });

  it('at 4 a second, each msg carries the highest peak since the last one', () => {
    const { ctx } = mixer({ levelRate: 4 });
    reportLevels(ctx, 1000, (i) => (i === 7 ? [0.2, 0.95] : [0.1, 0.1]));
    assert.deepEqual(ctx.outputs.map((m) => m.payload), [0.1, 0.1, 0.95, 0.1]);
    assert.deepEqual(ctx.outputs[2], { topic: 'output', payload: 0.95, left: 0.2, right: 0.95 });
  });

  it('sends no levels with a rate of 0, and refuses a rate above 20', () => {
    const { ctx } = mixer({ levelRate: 0 });
    reportLevels(ctx, 1000);
    assert.deepEqual(ctx.outputs, []);
    assert.throws(() => new MixerController(new FakeContext(), { levelRate: 50 }), /levelRate/);
  });
});
