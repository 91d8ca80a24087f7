// The engine host's session wiring, on the forked host with the null backend: the autosave restored at
// start after a SIGKILL (the loops' samples exactly), and the session requests (save, list, load,
// delete, import, export) answered with replies; a bad name is refused before anything changes.

import { strict as assert } from 'assert';
import { fork } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ForkedClient } from '../../lib/io/forked-client';
import type { HostStatus } from '../../lib/io/client';
import type { HostEvent, LoopData } from '../../lib/io/protocol';
import { rawWav, sampleBytes, tempDir } from '../fixtures/wav';
import { exitOf, gone, nextEvent, testConfig } from './harness';

type SessionEvent = Extract<HostEvent, { type: 'session' }>;

/** A stereo 16-bit WAV at 48 kHz whose samples survive int16 -> float -> int16 exactly. */
function patternWav(file: string, frames: number): void {
  const codes = new Int16Array(frames * 2);
  for (let i = 0; i < codes.length; i++) codes[i] = ((i * 797) % 60001) - 30000;
  fs.writeFileSync(file, rawWav({ channels: 2, sampleRate: 48000, bitsPerSample: 16, data: sampleBytes(codes, 16) }));
}

async function until(what: string, check: () => Promise<boolean>, ms = 15000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return;
  assert.fail(`${what} within ${ms} ms`);
}

describe('io: sessions in the forked engine host', function () {
  this.timeout(60000);
  const clients: ForkedClient[] = [];
  let tmp: ReturnType<typeof tempDir>;
  const client = (sessionDir: string) => {
    const c = new ForkedClient(testConfig({ sessionDir }));
    clients.push(c);
    return c;
  };
  const session = (c: ForkedClient, req: Record<string, unknown>) => c.request({ type: 'session', ...req } as never) as Promise<Record<string, unknown>>;
  const loop = async (c: ForkedClient, track: number) => (await c.request({ type: 'loop', track })) as LoopData;

  beforeEach(() => {
    tmp = tempDir('loopstation-session-host-');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    tmp.remove();
  });

  it('after a SIGKILL, a new host on the same folder restores every loop, sample for sample', async () => {
    const dir = tmp.file('sessions');
    const wav = tmp.file('pattern.wav');
    patternWav(wav, 12000);
    const a = client(dir);
    const firstRestore = nextEvent(a, 'session');
    await a.start();
    const fresh = (await firstRestore) as SessionEvent;
    assert.equal(fresh.reason, 'start');
    assert.equal(fresh.restored, false);

    const imported = await session(a, { command: 'import', track: 2, file: wav });
    assert.equal(imported.frames, 12000);
    const recording = nextEvent(a, 'state', (e) => e.track === 1 && e.state === 'recording');
    a.send({ type: 'command', command: 'record', track: 1 });
    const r = await recording;
    const playing = nextEvent(a, 'state', (e) => e.track === 1 && e.state === 'playing');
    a.send({ type: 'command', command: 'play', track: 1, frame: r.frame + 24000 });
    await playing;
    const before = [await loop(a, 1), await loop(a, 2)];
    assert.equal(before[0].frames, 24000);
    assert.equal(before[1].frames, 12000);

    // autosave only: no explicit save before the kill
    await until('the autosave to list both loops', async () => {
      const list = (await session(a, { command: 'list' })) as { autosave: { layers: number } | null };
      return (list.autosave?.layers ?? 0) >= 2;
    });
    const exited = exitOf(a);
    process.kill(a.pid!, 'SIGKILL');
    await exited;

    const b = client(dir);
    const restoring = nextEvent(b, 'session');
    await b.start();
    const restored = (await restoring) as SessionEvent;
    assert.equal(restored.restored, true);
    assert.deepEqual(restored.problems, []);
    assert.deepEqual(restored.tracks.map((t) => [t.track, t.layers, t.state]).sort(), [[1, 1, 'playing'], [2, 1, 'playing']]);
    const status = (await b.request({ type: 'status' })) as HostStatus;
    assert.deepEqual(status.tracks.map((t) => [t.state, t.frames]), [['playing', 24000], ['playing', 12000]]);
    assert.deepEqual([await loop(b, 1), await loop(b, 2)], before);
  });

  it('a SIGKILL of the host just after a recording ended: the next host brings the loop back into its track', async () => {
    for (const delay of [0, 1, 2, 5, 10, 20, 40]) {
      const dir = tmp.file(`kill-${delay}`);
      const a = client(dir);
      await a.start();
      const recording = nextEvent(a, 'state', (e) => e.track === 1 && e.state === 'recording');
      a.send({ type: 'command', command: 'record', track: 1 });
      const r = await recording;
      const playing = nextEvent(a, 'state', (e) => e.track === 1 && e.state === 'playing');
      a.send({ type: 'command', command: 'play', track: 1, frame: r.frame + 24000 });
      await playing;
      const exited = exitOf(a);
      await new Promise((resolve) => setTimeout(resolve, delay));
      process.kill(a.pid!, 'SIGKILL');
      await exited;

      const b = client(dir);
      const restoring = nextEvent(b, 'session');
      await b.start();
      const restored = (await restoring) as SessionEvent;
      assert.deepEqual(restored.problems, [], `killed ${delay} ms after 'playing'`);
      assert.deepEqual(restored.recovered, [], `killed ${delay} ms after 'playing': a layer, not a recovered take`);
      const status = (await b.request({ type: 'status' })) as HostStatus;
      assert.deepEqual([status.tracks[0].state, status.tracks[0].frames], ['playing', 24000], `killed ${delay} ms after 'playing'`);
      await b.stop();
    }
  });

  it('a SIGKILL of the parent (Node-RED\'s side) just after a recording ended: the orphaned host quits, the next one has the loop', async () => {
    for (const delay of [0, 5, 20]) {
      const dir = tmp.file(`parent-${delay}`);
      const parent = fork(path.join(__dirname, 'fixtures', 'parent.js'), [JSON.stringify(testConfig({ sessionDir: dir })), 'record'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      const reply = await new Promise<{ hostPid?: number; error?: string }>((resolve) => parent.once('message', resolve));
      assert.ok(reply.hostPid, reply.error);
      await new Promise((resolve) => setTimeout(resolve, delay));
      parent.kill('SIGKILL');
      assert.ok(await gone(reply.hostPid, 10000), 'the host outlived its parent');

      const b = client(dir);
      const restoring = nextEvent(b, 'session');
      await b.start();
      const restored = (await restoring) as SessionEvent;
      assert.deepEqual([restored.problems, restored.recovered], [[], []], `parent killed ${delay} ms after 'playing'`);
      const status = (await b.request({ type: 'status' })) as HostStatus;
      assert.deepEqual([status.tracks[0].state, status.tracks[0].frames], ['playing', 24000], `parent killed ${delay} ms after 'playing'`);
      await b.stop();
    }
  });

  it('a session folder that cannot be made: the ready event says autosave is off and why; session commands say the same', async () => {
    fs.writeFileSync(tmp.file('file'), 'not a folder');
    const c = client(tmp.file('file/sessions'));
    const ready = await c.start();
    const why = `the session folder ${tmp.file('file/sessions')} could not be used: ${tmp.file('file/sessions/autosave')}: cannot write: part of the path is not a folder`;
    assert.equal(ready.autosaveOff, `${why}; nothing is autosaved`);
    assert.ok(ready.notice?.includes(`${why}; nothing is autosaved`), ready.notice);
    await assert.rejects(session(c, { command: 'save', name: 'x' }), (e: Error) => e.message === why);
  });

  it('answers save, list, export, load and delete; refuses bad names and works without a folder only for import', async () => {
    const dir = tmp.file('sessions');
    const wav = tmp.file('pattern.wav');
    patternWav(wav, 4800);
    const c = client(dir);
    await c.start();
    // relative to the session folder
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(wav, path.join(dir, 'take.wav'));
    await session(c, { command: 'import', track: 1, file: 'take.wav' });
    const original = await loop(c, 1);

    const saved = await session(c, { command: 'save', name: 'set one' });
    assert.equal(saved.name, 'set one');
    assert.equal(saved.layers, 1);
    const list = (await session(c, { command: 'list' })) as { autosave: { name: string }; sessions: { name: string }[] };
    assert.deepEqual(list.sessions.map((s) => s.name), ['set one']);
    assert.equal(list.autosave.name, 'autosave');

    const exported = (await session(c, { command: 'export', name: 'mix1' })) as { dir: string; files: string[] };
    assert.equal(exported.dir, path.join(dir, 'exports', 'mix1'));
    assert.ok(exported.files.includes(path.join(exported.dir, 'mix.wav')));
    for (const f of exported.files) assert.ok(fs.statSync(f).size > 4800 * 8, f);

    c.send({ type: 'command', command: 'clear', track: 1 });
    await until('track 1 to be empty', async () => ((await c.request({ type: 'status' })) as HostStatus).tracks[0].state === 'empty');
    const loadEvent = nextEvent(c, 'session', (e) => e.reason === 'load');
    const loaded = (await session(c, { command: 'load', name: 'set one' })) as { tracks: { track: number }[]; problems: string[] };
    assert.deepEqual(loaded.tracks.map((t) => t.track), [1]);
    assert.deepEqual(loaded.problems, []);
    assert.equal((await loadEvent).name, 'set one');
    assert.deepEqual(await loop(c, 1), original);

    for (const [req, message] of [
      [{ command: 'save', name: '../evil' }, /name: "\.\.\/evil" is a path/],
      [{ command: 'load', name: '/etc' }, /name: "\/etc" is a path/],
      [{ command: 'load', name: 'nothing' }, /no session named "nothing"; saved sessions: set one/],
      [{ command: 'export', name: 'a/b' }, /is a path/],
      [{ command: 'load', name: 'autosave' }, /live session's own name/],
      [{ command: 'format' }, /not a session command/],
    ] as const) {
      await assert.rejects(session(c, req), message);
    }
    assert.deepEqual(await loop(c, 1), original, 'a refused load leaves the loops alone');
    assert.deepEqual(fs.readdirSync(tmp.dir).sort(), ['pattern.wav', 'sessions']);

    assert.deepEqual(await session(c, { command: 'delete', name: 'set one' }), { deleted: 'set one' });
    assert.deepEqual(((await session(c, { command: 'list' })) as { sessions: unknown[] }).sessions, []);

    const none = client('');
    await none.start();
    await assert.rejects(session(none, { command: 'save', name: 'x' }), /no session folder/);
    await assert.rejects(session(none, { command: 'import', track: 1, file: 'take.wav' }), /is relative/);
    assert.equal((await session(none, { command: 'import', track: 1, file: wav })).frames, 4800);
  });
});
