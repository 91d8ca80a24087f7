import { strict as assert } from 'assert';
import { DEFAULT_HOST_CONFIG } from '../../lib/control/host-config';
import { HostStatus } from '../../lib/io/client';
import { InProcessClient } from '../../lib/io/in-process-client';
import { HostConfig, HostEvent } from '../../lib/io/protocol';
import { COMMANDS } from '../../lib/engine/types';
import { ManualClock, flush } from '../fixtures/manual-clock';

// The null backend as an EngineClient: the real engine paced block by block, on a manual clock here,
// events when they sound.

const BLOCK_MS = (256 * 1000) / 48000;
const config = (o: Partial<HostConfig> = {}): HostConfig => ({ ...DEFAULT_HOST_CONFIG, backend: 'null', quantize: 'off', crossfadeFrames: 0, memoryMiB: 4, ...o });

describe('io: in-process client', () => {
  let client: InProcessClient | undefined;
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
  });
  afterEach(async () => {
    await client?.stop();
    client = undefined;
  });

  function collect(c: InProcessClient): { event: HostEvent; at: number }[] {
    const events: { event: HostEvent; at: number }[] = [];
    c.on('event', (event: HostEvent) => events.push({ event, at: clock.now() }));
    return events;
  }

  /** Blocks rendered by `elapsed` ms after start (block 0 renders at the start). */
  const blocksBy = (elapsed: number) => Math.floor(elapsed / BLOCK_MS) + 1;

  it('starts and says it runs with no device (and why, unless no device was asked for)', async () => {
    client = new InProcessClient(config({ backend: 'auto', sampleRate: 44100, blockFrames: 128 }), clock);
    assert.deepEqual(await client.start(), {
      type: 'ready', backend: 'null', sampleRate: 44100, blockFrames: 128, inputDevice: '', outputDevice: '',
      notice: 'no audio device: the engine runs in-process without sound',
    });
    const chosen = new InProcessClient(config(), clock);
    assert.equal((await chosen.start()).notice, undefined);
    await chosen.stop();
  });

  it('refuses to start twice, and to start with bad settings (naming the field, then exit 1)', async () => {
    client = new InProcessClient(config(), clock);
    await client.start();
    await assert.rejects(client.start(), /already started/);
    const bad = new InProcessClient(config({ tracks: 0 }), clock);
    const exits: number[] = [];
    bad.on('exit', (code: number) => exits.push(code));
    await assert.rejects(bad.start(), { message: 'engine settings: tracks: 0 is out of range; accepted: an integer from 1 to 64' });
    assert.deepEqual(exits, [1]);
  });

  it('emits each event when its frame sounds: never before, within the block after', async () => {
    client = new InProcessClient(config({ bpm: 400 }), clock);
    const events = collect(client);
    const t0 = clock.now();
    await client.start();
    client.send({ type: 'command', command: 'record', track: 1 });
    clock.advance(700);
    const stamped = events.filter((e) => 'frame' in e.event) as { event: HostEvent & { frame: number }; at: number }[];
    assert.ok(stamped.some((e) => e.event.type === 'state'));
    for (const { event, at } of stamped) {
      const soundsAt = t0 + (event.frame / 48000) * 1000;
      assert.ok(at >= soundsAt, `${event.type} at frame ${event.frame} came ${(soundsAt - at).toFixed(1)} ms early`);
      assert.ok(at - soundsAt < 2 * BLOCK_MS, `${event.type} at frame ${event.frame} came ${(at - soundsAt).toFixed(1)} ms late`);
    }
  });

  it('reports every beat at its exact frame, with bar and downbeat', async () => {
    client = new InProcessClient(config({ bpm: 400, beatsPerBar: 3 }), clock);
    const events = collect(client);
    await client.start();
    clock.advance(600);
    const beats = events.map((e) => e.event).filter((e): e is Extract<HostEvent, { type: 'beat' }> => e.type === 'beat');
    // the blocks heard so far are all but the last one rendered; a beat every 7200 frames
    const heardFrames = (blocksBy(600) - 1) * 256;
    assert.equal(beats.length, Math.ceil(heardFrames / 7200));
    assert.ok(beats.length >= 4);
    beats.forEach((b, k) => assert.deepEqual(b, { type: 'beat', frame: k * 7200, beat: k, beatInBar: k % 3, bar: Math.floor(k / 3), downbeat: k % 3 === 0 }));
  });

  it('delivers commands sent before start once it runs', async () => {
    client = new InProcessClient(config(), clock);
    const events = collect(client);
    client.send({ type: 'command', command: 'record', track: 2 });
    await client.start();
    clock.advance(50);
    const states = events.map((e) => e.event).filter((e) => e.type === 'state');
    assert.deepEqual(states.map((s) => s.type === 'state' && [s.track, s.state]), [[2, 'recording']]);
  });

  it('checks commands like the forked host will: a bad one becomes an error event naming the field', async () => {
    client = new InProcessClient(config({ tracks: 2 }), clock);
    const events = collect(client);
    await client.start();
    client.send({ type: 'command', command: 'record', track: 3, id: 7 });
    client.send({ type: 'command', command: 'jump' as never, track: 1 });
    assert.deepEqual(events.map((e) => e.event).filter((e) => e.type === 'error'), [
      { type: 'error', track: 3, message: 'track: 3 is out of range; accepted: an integer from 1 to 2', id: 7 },
      { type: 'error', track: 1, message: `command: unknown command "jump"; accepted: ${COMMANDS.join(', ')}` },
    ]);
  });

  it('reports peak levels every 9 blocks (50 ms at 48000 Hz, 256 frames): silent input, the click in the output', async () => {
    client = new InProcessClient(config({ bpm: 400 }), clock);
    const events = collect(client);
    await client.start();
    clock.advance(520);
    const levels = events.map((e) => e.event).filter((e): e is Extract<HostEvent, { type: 'levels' }> => e.type === 'levels');
    assert.equal(levels.length, Math.floor(blocksBy(520) / 9));
    assert.ok(levels.every((l) => l.input[0] === 0 && l.input[1] === 0));
    assert.ok(levels.some((l) => l.output[0] > 0.1), 'the click shows in the output peaks');
  });

  it('runs the null backend with 4 input and 4 output channels: levels per input channel and per track, the click on its bus', async () => {
    client = new InProcessClient(config({ bpm: 400, tracks: 3, inputChannels: 4, outputChannels: 4 }), clock);
    const events = collect(client);
    await client.start();
    client.send({ type: 'command', command: 'metronomeBus', track: 0, value: 2 });
    clock.advance(520);
    const levels = events.map((e) => e.event).filter((e): e is Extract<HostEvent, { type: 'levels' }> => e.type === 'levels');
    assert.ok(levels.length > 5);
    for (const l of levels) {
      assert.deepEqual(l.channels, [0, 0, 0, 0]);
      assert.deepEqual(l.tracks, [0, 1, 2].map(() => ({ peak: [0, 0], rms: [0, 0] })));
    }
    client.send({ type: 'command', command: 'input', track: 2, value: '3-4' });
    clock.advance(20);
    const status = (await client.request({ type: 'status' })) as HostStatus;
    assert.deepEqual(status.tracks.map((t) => [t.source, t.cueBus, t.cueSend]), [[0, 0, 1], [-3, 0, 1], [0, 0, 1]], 'a multi-channel status says each track\'s routing');
    // block 0 rendered at the start, with the bar's first click on bus 1; from the command on, bus 1 is silent
    assert.ok(levels.slice(1).every((l) => l.output[0] === 0 && l.output[1] === 0), 'bus 1 has no click');
  });

  it('answers status, devices and calibrate requests (and the same queries sent as messages)', async () => {
    client = new InProcessClient(config({ tracks: 2, bpm: 90 }), clock);
    const events = collect(client);
    await assert.rejects(client.request({ type: 'status' }), /not running/);
    await client.start();
    const status = (await client.request({ type: 'status' })) as HostStatus;
    assert.equal(status.bpm, 90);
    assert.equal(status.metronome, true);
    assert.deepEqual(status.tracks[1], { track: 2, state: 'empty', frames: 0, seconds: 0, bars: 0, layers: 0, volume: 1, pan: 0, muted: false, soloed: false, position: 0, paused: false,
      live: true, quantize: 'off', feedback: 1, inputGain: 1,
    });
    assert.deepEqual(await client.request({ type: 'devices' }), { devices: [] });
    await assert.rejects(client.request({ type: 'calibrate' }), /calibration needs an audio device/);
    client.send({ type: 'devices', id: 4 });
    client.send({ type: 'calibrate', id: 5 });
    await flush();
    assert.deepEqual(events.map((e) => e.event).filter((e) => e.type === 'reply'), [
      { type: 'reply', id: 4, ok: true, result: { devices: [] } },
      { type: 'reply', id: 5, ok: false, error: 'calibration needs an audio device with a loopback: the in-process engine has no input to measure' },
    ]);
  });

  it('a throwing listener is reported as an error and the engine goes on', async () => {
    client = new InProcessClient(config({ bpm: 400 }), clock);
    const errors: string[] = [];
    client.on('error', (e: Error) => errors.push(e.message));
    let beats = 0;
    client.on('event', (e: HostEvent) => {
      if (e.type !== 'beat') return;
      beats++;
      throw new Error('listener bug');
    });
    await client.start();
    clock.advance(400);
    assert.ok(beats >= 2);
    assert.equal(errors.length, beats);
  });

  it('stop: one exit (code 0), then silence, and no timer left behind', async () => {
    const c = new InProcessClient(config(), clock);
    const exits: number[] = [];
    c.on('exit', (code: number) => exits.push(code));
    await c.start();
    clock.advance(30);
    let after = 0;
    await c.stop();
    c.on('event', () => after++);
    await c.stop();
    c.send({ type: 'command', command: 'record', track: 1 });
    clock.advance(50);
    assert.deepEqual(exits, [0]);
    assert.equal(after, 0);
    assert.equal(clock.pending, 0);
  });
});
