// The forked engine host on the null backend (no device needed): start, commands, events, requests,
// a clean stop that never hangs, a crash seen as an exit, a restart by a new client, and a host that
// cleans up after its parent dies. Real devices are in test/audio/host-*.test.ts.

import { strict as assert } from 'assert';
import { fork } from 'child_process';
import path from 'path';
import { ForkedClient } from '../../lib/io/forked-client';
import type { HostStatus } from '../../lib/io/client';
import type { HostEvent } from '../../lib/io/protocol';
import { exitOf, gone, isAlive, nextEvent, testConfig } from './harness';

const FIXTURES = path.join(__dirname, 'fixtures');
/** The real host, told that no PortAudio binding exists (as on a machine where naudiodon failed to install). */
const NO_BINDING_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_OPTIONS: `--require ${path.join(__dirname, '..', 'audio', 'hide-naudiodon.js')}`,
  LOOPSTATION_PORTAUDIO_BINDING: '/nonexistent/naudiodon.node',
};

describe('io: forked engine host (null backend)', function () {
  this.timeout(30000);
  const clients: ForkedClient[] = [];
  const client = (...args: ConstructorParameters<typeof ForkedClient>) => {
    const c = new ForkedClient(...args);
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  it('starts, records and plays a track, answers status, and stops cleanly', async () => {
    const c = client(testConfig());
    const ready = await c.start();
    assert.deepEqual(ready, {
      type: 'ready',
      backend: 'null',
      sampleRate: 48000,
      blockFrames: 256,
      inputDevice: '',
      outputDevice: '',
      inputLatencyFrames: 0,
      soundDelayFrames: 256,
    });
    const pid = c.pid!;
    assert.ok(isAlive(pid));
    const recording = nextEvent(c, 'state', (e) => e.state === 'recording');
    c.send({ type: 'command', command: 'record', track: 1 });
    const r = await recording;
    const playing = nextEvent(c, 'state', (e) => e.state === 'playing');
    c.send({ type: 'command', command: 'play', track: 1, frame: r.frame + 24000 });
    const p = await playing;
    assert.equal(p.frame, r.frame + 24000, 'a frame-stamped command acts at its frame');
    assert.equal(p.frames, 24000);
    const status = (await c.request({ type: 'status' })) as HostStatus;
    assert.equal(status.tracks[0].state, 'playing');
    assert.equal(status.tracks[0].frames, 24000);
    assert.equal(status.tracks[1].state, 'empty');
    assert.ok(status.frame > p.frame);
    const exit = exitOf(c);
    await c.stop();
    assert.equal(await exit, 0);
    assert.equal(c.hostExitCode, 0);
    assert.ok(await gone(pid), 'the host process is still there');
  });

  it('sends a beat after the block that plays it has been rendered plus the output delay, and no later', async () => {
    const c = client(testConfig());
    const { soundDelayFrames, blockFrames } = await c.start();
    const log: HostEvent[] = [];
    c.on('event', (e: HostEvent) => log.push(e));
    await nextEvent(c, 'beat', (e) => e.beat === 4);
    await nextEvent(c, 'levels');
    const levelFrames = (i: number) => log.slice(0, i).filter((e) => e.type === 'levels').map((e) => (e as { frame: number }).frame);
    const beats = log.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'beat');
    assert.ok(beats.length >= 2);
    let checked = 0;
    for (const [e, i] of beats) {
      const frame = (e as { frame: number }).frame;
      // levels are stamped with the frame rendered so far: one sent after the beat shows it was late
      // enough, one sent before it that it was not held longer than the delay plus a block
      const after = log.slice(i).find((x) => x.type === 'levels') as { frame: number } | undefined;
      if (after) assert.ok(after.frame > frame + soundDelayFrames!, `beat at ${frame} sent before rendering reached ${after.frame}`);
      const before = levelFrames(i).at(-1);
      if (before !== undefined) assert.ok(before <= frame + soundDelayFrames! + blockFrames, `beat at ${frame} held past ${before}`);
      if (after && before !== undefined) checked++;
    }
    assert.ok(checked > 0, 'no beat had levels on both sides');
  });

  it('refuses bad commands with an error event carrying their id, and keeps running', async () => {
    const c = client(testConfig());
    await c.start();
    const unknown = nextEvent(c, 'error', (e) => e.id === 7);
    c.send({ type: 'command', id: 7, command: 'explode' as never, track: 1 });
    assert.match((await unknown).message, /^command: unknown command "explode"; accepted: record, overdub, play/);
    const badTrack = nextEvent(c, 'error', (e) => e.id === 8);
    c.send({ type: 'command', id: 8, command: 'record', track: 3 });
    assert.equal((await badTrack).message, 'track: 3 is out of range; accepted: an integer from 1 to 2');
    const badFrame = nextEvent(c, 'error', (e) => e.id === 9);
    c.send({ type: 'command', id: 9, command: 'record', track: 1, frame: -5 });
    assert.equal((await badFrame).message, 'frame: -5 is out of range; accepted: an integer from 0 to 9007199254740991');
    const status = (await c.request({ type: 'status' })) as HostStatus;
    assert.deepEqual(status.tracks.map((t) => t.state), ['empty', 'empty']);
  });

  it('delivers commands sent before the host was ready', async () => {
    const c = client(testConfig());
    const recording = nextEvent(c, 'state', (e) => e.track === 2 && e.state === 'recording');
    c.send({ type: 'command', command: 'record', track: 2 });
    const status = c.request({ type: 'status' });
    await c.start();
    await recording;
    assert.equal(((await status) as HostStatus).tracks.length, 2);
  });

  it('answers calibrate on the null backend with why it cannot', async () => {
    const c = client(testConfig());
    await c.start();
    await assert.rejects(c.request({ type: 'calibrate' }), /calibration needs an audio device with a loopback: the null backend has no input/);
  });

  it('reports a crash (kill -9) as an exit with its code, fails what was pending, and a new client starts', async () => {
    const c = client(testConfig());
    await c.start();
    const exit = exitOf(c);
    process.kill(c.pid!, 'SIGKILL');
    assert.equal(await exit, 137);
    await assert.rejects(c.request({ type: 'status' }), /the engine host is not running/);
    c.send({ type: 'command', command: 'record', track: 1 }); // dropped, not thrown
    await c.stop(); // idempotent after a crash
    const again = client(testConfig());
    assert.equal((await again.start()).backend, 'null');
    assert.equal(((await again.request({ type: 'status' })) as HostStatus).tracks[0].state, 'empty');
  });

  it('rejects a start the host refuses, with the reason, and exits with code 2', async () => {
    const c = client(testConfig({ bpm: 0 }));
    const exit = exitOf(c);
    await assert.rejects(c.start(), /^Error: engine settings: bpm: 0 is out of range; accepted: a number from 20 to 400$/);
    assert.equal(await exit, 2);
  });

  it('without a PortAudio binding: portaudio is refused with what to install, auto runs the null backend and says so', async () => {
    const refused = client(testConfig({ backend: 'portaudio' }), { env: NO_BINDING_ENV });
    await assert.rejects(refused.start(), (err: Error) => {
      assert.match(err.message, /^no PortAudio binding loads \(naudiodon: Cannot find module 'naudiodon'; own build: not built/);
      assert.match(err.message, /apt install libportaudio2 portaudio19-dev libasound2-dev, then npx loopstation build-audio$/);
      return true;
    });
    const auto = client(testConfig({ backend: 'auto' }), { env: NO_BINDING_ENV });
    const ready = await auto.start();
    assert.equal(ready.backend, 'null');
    assert.match(ready.notice!, /^no sound: the null backend runs because no PortAudio binding loads/);
  });

  it('never hangs in stop(): a host that ignores quit is killed after the timeout', async () => {
    const c = client(testConfig(), { hostPath: path.join(FIXTURES, 'stubborn-host.js'), stopTimeoutMs: 300 });
    await c.start();
    const pid = c.pid!;
    await c.stop();
    // killed (SIGKILL: 128 + 9) once the timeout ran out, not exited on its own
    assert.equal(c.hostExitCode, 137);
    assert.ok(await gone(pid));
  });

  it("counts naudiodon's xrun lines on the host's stdout as device xruns", async () => {
    const lines: string[] = [];
    const c = client(testConfig(), { hostPath: path.join(FIXTURES, 'stubborn-host.js'), stopTimeoutMs: 300, onOutput: (_s, l) => lines.push(l) });
    const second = nextEvent(c, 'xrun', (e) => e.count === 2);
    await c.start();
    const e = await second;
    assert.equal(e.source, 'device');
    assert.deepEqual(lines, ['Output device name is pulse'], 'other lines go to onOutput, xrun lines do not');
  });

  it('stopped while starting: start() rejects saying so, and the host is gone', async () => {
    const c = client(testConfig());
    const starting = c.start();
    const pid = c.pid!;
    await c.stop();
    await assert.rejects(starting, /^Error: the engine host was stopped before it was ready$/);
    assert.ok(await gone(pid));
  });

  it('gives up on a host that never gets ready', async () => {
    const c = client(testConfig(), { hostPath: path.join(FIXTURES, 'mute-host.js'), startTimeoutMs: 500 });
    const exit = exitOf(c);
    await assert.rejects(c.start(), /^Error: the engine host was not ready within 500 ms$/);
    assert.equal(await exit, 137);
  });

  it('quits by itself when its parent dies, so no orphan holds the device', async () => {
    const parent = fork(path.join(FIXTURES, 'parent.js'), [JSON.stringify(testConfig())], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const reply = await new Promise<{ hostPid?: number; error?: string }>((resolve) => parent.once('message', resolve));
    assert.ok(reply.hostPid, reply.error);
    assert.ok(isAlive(reply.hostPid));
    parent.kill('SIGKILL');
    assert.ok(await gone(reply.hostPid), 'the host outlived its parent');
  });
});
