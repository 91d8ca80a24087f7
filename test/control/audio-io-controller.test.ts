import { strict as assert } from 'assert';
import { InputError } from '../../lib/engine/commands';
import { AudioInController } from '../../lib/control/audio-in-controller';
import { AudioOutController } from '../../lib/control/audio-out-controller';
import { FakeContext, HostEventOf } from './fake-context';

// Audio in and audio out without Node-RED: each msg form, bad msgs, the settings a (re)started host
// gets, the device in the status, levels on a manual clock, xruns and session answers.

const READY = { type: 'ready', backend: 'portaudio', sampleRate: 48000, blockFrames: 256, inputDevice: 'USB In', outputDevice: 'USB Out' } as const;

describe('control: audio in controller', () => {
  const audioIn = (def: Record<string, unknown> = {}) => {
    const ctx = new FakeContext({}, true);
    return { ctx, node: new AudioInController(ctx, { levelRate: 0, ...def }) };
  };

  it('the monitored input and its bus on a 4-in/4-out engine, and every input channel\'s peak in the level msgs', () => {
    const ctx = new FakeContext({ inputChannels: 4, outputChannels: 4 }, true);
    const node = new AudioInController(ctx, { levelRate: 10, source: '2' });
    assert.equal(node.settings.input, 2);
    node.input({ payload: { input: '3-4', bus: 2 } });
    assert.deepEqual(ctx.takeCommands(), [{ command: 'monitorInput', track: 0, value: -3 }, { command: 'monitorBus', track: 0, value: 2 }]);
    assert.throws(() => node.input({ payload: { input: '5' } }), /msg.payload.input: "5" is not an input of this engine; accepted: "all", a channel from 1 to 4/);
    assert.throws(() => node.input({ payload: { bus: 3 } }), /msg.payload.bus: 3 is out of range; accepted: an integer from 1 to 2/);
    ctx.emit({ type: 'levels', input: [0.5, 0.25], output: [0, 0], channels: [0.1, 0.5, 0.25, 0] });
    ctx.clock.advance(50);
    ctx.emit({ type: 'levels', input: [0.5, 0.25], output: [0, 0], channels: [0, 0.25, 0.75, 0] });
    ctx.clock.advance(50);
    ctx.emit({ type: 'levels', input: [0, 0], output: [0, 0], channels: [0, 0, 0, 0.125] });
    assert.deepEqual(ctx.outputs, [
      { topic: 'input', payload: 0.5, left: 0.5, right: 0.25, channels: [0.1, 0.5, 0.25, 0] },
      { topic: 'input', payload: 0.5, left: 0.5, right: 0.25, channels: [0, 0.25, 0.75, 0.125] },
    ]);
    assert.throws(() => new AudioInController(new FakeContext({}, true), { source: '3' }), /source.*channel 3 is out of range/);
  });

  it('monitor on/off, monitor volume and input gain, alone or together', () => {
    const { ctx, node } = audioIn();
    for (const payload of [true, 'off', ' ON ', 0.5, { monitor: false, volume: 1.25, gain: 2 }, { gain: '0.5' }]) node.input({ payload });
    assert.deepEqual(ctx.commands(), [
      { command: 'monitor', track: 0, value: 1 },
      { command: 'monitor', track: 0, value: 0 },
      { command: 'monitor', track: 0, value: 1 },
      { command: 'monitorVolume', track: 0, value: 0.5 },
      { command: 'monitor', track: 0, value: 0 },
      { command: 'monitorVolume', track: 0, value: 1.25 },
      { command: 'inputGain', track: 0, value: 2 },
      { command: 'inputGain', track: 0, value: 0.5 },
    ]);
  });

  it('refuses a bad msg, naming the field, and sends nothing', () => {
    const { ctx, node } = audioIn();
    const cases: [unknown, string, RegExp][] = [
      [3, 'msg.payload (monitor volume)', /3 is out of range/],
      ['loud', 'msg.payload', /"loud" is not an audio in setting; accepted:/],
      [{ level: 1 }, 'msg.payload.level', /unknown setting; accepted: monitor, volume, gain, input, bus/],
      [{}, 'msg.payload', /an empty object sets nothing/],
      [{ gain: -1 }, 'msg.payload.gain', /out of range/],
      [{ monitor: 'x' }, 'msg.payload.monitor', /is not on\/off/],
    ];
    for (const [payload, field, problem] of cases) {
      assert.throws(() => node.input({ payload }), (e: unknown) => e instanceof InputError && e.field === field && problem.test(e.problem), JSON.stringify(payload));
    }
    assert.deepEqual(ctx.sent, []);
  });

  it('a (re)started host gets the node\'s settings; the status names the device, or "default device"', () => {
    const { ctx, node } = audioIn({ monitor: false, monitorVolume: '0.8' });
    ctx.status.setEngine('running');
    node.engineStatus('starting');
    assert.deepEqual(ctx.sent, []);
    ctx.readyEvent = READY;
    node.engineStatus('running');
    assert.deepEqual(ctx.commands(), [{ command: 'monitor', track: 0, value: 0 }, { command: 'monitorVolume', track: 0, value: 0.8 }]);
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'USB In' });
    ctx.readyEvent = { ...READY, inputDevice: '' };
    node.engineStatus('running');
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'default device' });
  });

  it('a device node shows "not available" while the engine has no device', () => {
    const { ctx, node } = audioIn();
    ctx.status.setEngine('no-device');
    node.engineStatus('no-device');
    assert.deepEqual(ctx.shown?.fill, 'grey');
    assert.match(String(ctx.shown?.text), /not-available/);
  });

  it('a host gone again while applying settings: nothing thrown', () => {
    const { ctx, node } = audioIn({ monitor: true });
    ctx.running = false;
    node.engineStatus('running');
    assert.deepEqual(ctx.sent, []);
  });

  it('sends the input levels at its rate', () => {
    const { ctx } = audioIn({ levelRate: 10 });
    for (let i = 0; i < 20; i++) {
      ctx.emit({ type: 'levels', input: [0.25, i === 3 ? 0.75 : 0.5], output: [1, 1] });
      ctx.clock.advance(50);
    }
    // 10 a second: at 0, 100, ... 900 ms; the one at 200 ms holds the peak reported at 150 ms
    const plain = { topic: 'input', payload: 0.5, left: 0.25, right: 0.5 };
    assert.deepEqual(ctx.outputs, [plain, plain, { topic: 'input', payload: 0.75, left: 0.25, right: 0.75 }, ...Array.from({ length: 7 }, () => plain)]);
  });
});

describe('control: audio out controller', () => {
  const audioOut = (def: Record<string, unknown> = {}) => {
    const ctx = new FakeContext({}, true);
    const node = new AudioOutController(ctx, def);
    ctx.status.setEngine('running');
    ctx.readyEvent = READY;
    return { ctx, node };
  };

  it('a number or {volume} sets the master volume', () => {
    const { ctx, node } = audioOut();
    node.input({ payload: 0.5 });
    node.input({ payload: { volume: '1.5' } });
    assert.deepEqual(ctx.commands(), [{ command: 'masterVolume', track: 0, value: 0.5 }, { command: 'masterVolume', track: 0, value: 1.5 }]);
  });

  it('session commands go to the host; the answer goes out with the command as topic', async () => {
    const { ctx, node } = audioOut();
    ctx.answer = (q) => ({ answered: q });
    await node.input({ payload: { command: 'save', name: 'take1' }, extra: 1 });
    await node.input({ command: 'load', name: 'take1' });
    await node.input({ payload: { export: 'mix1' } });
    await node.input({ command: 'import', track: 2, file: 'a.wav' });
    assert.deepEqual(ctx.queries, [
      { type: 'session', command: 'save', name: 'take1' },
      { type: 'session', command: 'load', name: 'take1' },
      { type: 'session', command: 'export', name: 'mix1' },
      { type: 'session', command: 'import', track: 2, file: 'a.wav' },
    ]);
    assert.deepEqual(ctx.outputs[0], { payload: { answered: ctx.queries[0] }, extra: 1, topic: 'save' });
    assert.deepEqual(ctx.outputs.map((m) => m.topic), ['save', 'load', 'export', 'import']);
  });

  it('"export" with no name exports to a folder named by the time', async () => {
    const { ctx, node } = audioOut();
    ctx.answer = () => 'ok';
    await node.input({ payload: 'export' });
    const q = ctx.queries[0] as { command: string; name: string };
    assert.equal(q.command, 'export');
    assert.match(q.name, /^mix-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  });

  it('a failed session command rejects (the node reports it) and sends no msg', async () => {
    const { ctx, node } = audioOut();
    ctx.answer = () => {
      throw new Error('no session named "x"');
    };
    await assert.rejects(async () => node.input({ command: 'load', name: 'x' }), /no session named/);
    assert.deepEqual(ctx.outputs, []);
  });

  it('refuses a bad msg, naming the field, and sends nothing', () => {
    const { ctx, node } = audioOut();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ payload: 5 }, 'msg.payload (master volume)', /out of range/],
      [{ payload: { command: 'rename' } }, 'msg.payload.command', /"rename" is not a session command; accepted: /],
      [{ command: 'save', name: '../x' }, 'msg.name', /./],
      [{ payload: { export: '' } }, 'msg.payload.export', /is not a name/],
      [{ payload: { volume: 1, export: 'x' } }, 'msg.payload', /volume and export together/],
      [{ payload: { gain: 1 } }, 'msg.payload.gain', /unknown setting/],
      [{ payload: {} }, 'msg.payload', /an empty object/],
      [{ command: 'import', track: 1 }, 'msg.file', /^missing; accepted: a WAV file/],
      [{ command: 'import', track: 1, file: 3 }, 'msg.file', /3 is not a file/],
      [{ payload: 'louder' }, 'msg.payload', /is not an audio out command/],
    ];
    for (const [msg, field, problem] of cases) {
      assert.throws(() => node.input(msg), (e: unknown) => e instanceof InputError && e.field === field && problem.test(e.problem), JSON.stringify(msg));
    }
    assert.deepEqual(ctx.sent, []);
    assert.deepEqual(ctx.queries, []);
  });

  it('xruns go out as msgs and show in the status; a restarted host starts from 0 and gets the master volume', () => {
    const { ctx, node } = audioOut({ masterVolume: '0.9' });
    node.engineStatus('running');
    assert.deepEqual(ctx.takeCommands(), [{ command: 'masterVolume', track: 0, value: 0.9 }]);
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'USB Out' });
    ctx.emit({ type: 'xrun', count: 3, frame: 4800 });
    assert.deepEqual(ctx.outputs, [{ topic: 'xrun', payload: 3, frame: 4800 }]);
    assert.deepEqual(ctx.shown, { fill: 'yellow', shape: 'dot', text: 'USB Out · 3 xruns' });
    node.engineStatus('running');
    assert.deepEqual(ctx.shown, { fill: 'green', shape: 'dot', text: 'USB Out' });
  });

  it('a restored or loaded session goes out as a msg', () => {
    const { ctx } = audioOut();
    const session: HostEventOf<'session'> = { type: 'session', reason: 'start', name: 'autosave', restored: true, tracks: [{ track: 1, layers: 2, current: 1, state: 'playing' }], recovered: [], problems: [] };
    ctx.emit(session);
    const { type: _type, ...payload } = session;
    assert.deepEqual(ctx.outputs, [{ topic: 'session', payload }]);
  });
});
