import { strict as assert } from 'assert';
import { hostname } from 'os';
import { HostStatus } from '../../lib/io/client';
import { InProcessClient } from '../../lib/io/in-process-client';
import { HostEvent, HostRequest } from '../../lib/io/protocol';
import { DEFAULT_HOST_CONFIG } from '../../lib/control/host-config';
import { encodeBundle, encodeMessage } from '../../lib/osc/codec';
import { SlState } from '../../lib/osc/mirror';
import { OscLink, OscServer } from '../../lib/osc/server';
import { LONG_PRESS_MS, MAX_REGISTRATIONS, SL_VERSION } from '../../lib/osc/sooperlooper';
import { ManualClock } from '../fixtures/manual-clock';
import { TestOscClient } from './client';

// The OSC server over real UDP on 127.0.0.1, against a fake engine link (what was sent, a status to
// answer) with a clock the test moves, and once against the in-process engine.

const TRACKS = 4;

function idleStatus(): HostStatus {
  return {
    frame: 0, bpm: 120, beatsPerBar: 4, metronome: true, xruns: 0,
    tracks: Array.from({ length: TRACKS }, (_, i) => ({
      track: i + 1, state: 'empty', frames: 0, seconds: 0, bars: 0, layers: 0, volume: 1, pan: 0, muted: false, soloed: false,
    })),
  };
}

class FakeLink implements OscLink {
  sent: HostRequest[] = [];
  current = idleStatus();
  running = true;
  send(req: HostRequest): void {
    if (!this.running) throw new Error('the engine is not running');
    this.sent.push(req);
  }
  status(): Promise<HostStatus> {
    return Promise.resolve(JSON.parse(JSON.stringify(this.current)) as HostStatus);
  }
  sessions: string[] = [];
  sessionError: string | undefined;
  session(command: 'save' | 'load', name: string): Promise<unknown> {
    this.sessions.push(`${command} ${name}`);
    return this.sessionError ? Promise.reject(new Error(this.sessionError)) : Promise.resolve({});
  }
  commands(): string[] {
    return this.sent.map((r) => (r.type === 'command' ? `${r.command}:${r.track}${r.value === undefined || r.value === 0 ? '' : `=${String(r.value)}`}` : r.type));
  }
}

describe('osc server (SooperLooper protocol over UDP)', () => {
  let link: FakeLink;
  let server: OscServer;
  let client: TestOscClient;
  let port: number;
  let clock: number;

  beforeEach(async () => {
    link = new FakeLink();
    clock = 1000;
    server = new OscServer({ link, tracks: TRACKS, sampleRate: 48000, bpm: 120, beatsPerBar: 4, port: 0, now: () => clock });
    port = (await server.start()).port;
    client = await new TestOscClient().open();
  });
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  const event = (e: HostEvent): void => server.hostEvent(e);
  const get = async (n: number, ctrl: string) => (await client.ask(port, `/sl/${n}/get`, 'sss', [ctrl, client.url, '/got'])).args;

  it('listens on 127.0.0.1 by default', () => {
    assert.equal(server.address?.address, '127.0.0.1');
  });

  it('/ping answers ,ssi (url, version, loops) to the return url, from the server port', async () => {
    const r = await client.ask(port, '/ping', 'ss', [client.url, '/pong']);
    assert.equal(r.address, '/pong');
    assert.equal(r.types, 'ssi');
    assert.deepEqual(r.args, [`osc.udp://127.0.0.1:${port}/`, SL_VERSION, TRACKS]);
    assert.equal(r.fromPort, port);
    const withId = await client.ask(port, '/ping', 'ssi', [client.url, '/pong', 1]);
    assert.equal(withId.types, 'ssii');
  });

  it('bound to every address, /ping answers with the machine name (as liblo does)', async () => {
    const wide = new OscServer({ link, tracks: TRACKS, sampleRate: 48000, bpm: 120, beatsPerBar: 4, port: 0, host: '0.0.0.0' });
    const p = (await wide.start()).port;
    try {
      const r = await client.ask(p, '/ping', 'ss', [client.url, '/pong']);
      assert.equal(r.args[0], `osc.udp://${hostname()}:${p}/`);
    } finally {
      await wide.stop();
    }
  });

  it('replies to the return url, not to the port the request came from', async () => {
    const other = await new TestOscClient().open();
    try {
      await other.send(port, '/ping', 'ss', [client.url, '/pong']);
      const [r] = await client.waitFor(1);
      assert.equal(r.address, '/pong');
      await other.sync(port);
      assert.equal(other.received.length, 0);
    } finally {
      await other.close();
    }
  });

  it('/sl/N/get answers ,isf with N as sent: state codes, lengths, and ("unknown", 0) for an unknown control', async () => {
    assert.deepEqual(await get(0, 'state'), [0, 'state', SlState.Off]);
    event({ type: 'state', track: 1, state: 'recording', frame: 48000, frames: 0, seconds: 0, bars: 0 });
    assert.deepEqual(await get(0, 'state'), [0, 'state', SlState.Recording]);
    event({ type: 'state', track: 1, state: 'playing', frame: 144000, frames: 96000, seconds: 2, bars: 1 });
    assert.deepEqual(await get(0, 'state'), [0, 'state', SlState.Playing]);
    assert.deepEqual(await get(0, 'loop_len'), [0, 'loop_len', 2]);
    assert.deepEqual(await get(0, 'cycle_len'), [0, 'cycle_len', 2]);
    // half a second of engine time after the loop began: position 0.5 s
    clock += 500;
    assert.deepEqual(await get(0, 'loop_pos'), [0, 'loop_pos', 0.5]);
    assert.deepEqual(await get(0, 'no_such_control'), [0, 'unknown', 0]);
    // a control SooperLooper keeps reads its default until set
    assert.deepEqual(await get(0, 'feedback'), [0, 'feedback', 1]);
    assert.deepEqual(await get(-1, 'state'), [-1, 'state', SlState.Playing]);
    assert.deepEqual(await get(-3, 'state'), [-3, 'state', SlState.Playing]);
    assert.deepEqual(await get(1, 'state'), [1, 'state', SlState.Off]);
  });

  it('reports WaitStart, WaitStop, Overdubbing, Paused, Muted and OffMuted', async () => {
    event({ type: 'pending', track: 2, state: 'recording', frame: 96000 });
    assert.equal((await get(1, 'state'))[2], SlState.WaitStart);
    assert.equal((await get(1, 'next_state'))[2], SlState.Recording);
    assert.equal((await get(1, 'waiting'))[2], 1);
    event({ type: 'state', track: 2, state: 'recording', frame: 96000, frames: 0, seconds: 0, bars: 0 });
    event({ type: 'pending', track: 2, state: 'playing', frame: 192000 });
    assert.equal((await get(1, 'state'))[2], SlState.WaitStop);
    event({ type: 'state', track: 2, state: 'overdubbing', frame: 192000, frames: 96000, seconds: 2, bars: 1 });
    assert.equal((await get(1, 'state'))[2], SlState.Overdubbing);
    assert.equal((await get(1, 'waiting'))[2], 0);
    event({ type: 'state', track: 2, state: 'stopped', frame: 200000, frames: 96000, seconds: 2, bars: 1 });
    assert.equal((await get(1, 'state'))[2], SlState.Paused);
    await client.send(port, '/sl/2/hit', 's', ['mute']);
    assert.equal((await get(2, 'state'))[2], SlState.OffMuted);
  });

  it('/get of globals answers with loop -2; /set tempo, eighth_per_cycle, selected_loop_num', async () => {
    // SooperLooper's defaults: synced to loop 1, whose tempo is none while it is empty
    assert.deepEqual((await client.ask(port, '/get', 'sss', ['tempo', client.url, '/g'])).args, [-2, 'tempo', 0]);
    assert.deepEqual((await client.ask(port, '/get', 'sss', ['sync_source', client.url, '/g'])).args, [-2, 'sync_source', 1]);
    assert.deepEqual((await client.ask(port, '/get', 'sss', ['selected_loop_num', client.url, '/g'])).args, [-2, 'selected_loop_num', -1]);
    assert.deepEqual((await client.ask(port, '/get', 'sss', ['whatever', client.url, '/g'])).args, [-2, 'whatever', 0]);
    // the internal clock: the tempo is ours (the quantize follows the selected loop's, off by default)
    await client.send(port, '/set', 'sf', ['sync_source', -3]);
    assert.deepEqual((await client.ask(port, '/get', 'sss', ['tempo', client.url, '/g'])).args, [-2, 'tempo', 120]);
    await client.send(port, '/set', 'sf', ['tempo', 96.5]);
    await client.send(port, '/sl/-2/set', 'si', ['eighth_per_cycle', 6]);
    await client.send(port, '/set', 'sf', ['tempo', 10000]);
    await client.send(port, '/set', 'sf', ['selected_loop_num', 2]);
    assert.deepEqual((await client.ask(port, '/get', 'sss', ['selected_loop_num', client.url, '/g'])).args, [-2, 'selected_loop_num', 2]);
    // sync_source sets every loop's quantize (off: quantize 0 by SooperLooper's default)
    assert.deepEqual(link.commands(), ['quantize:1', 'quantize:2', 'quantize:3', 'quantize:4', 'bpm:0=96.5', 'beatsPerBar:0=3', 'bpm:0=400']);
    event({ type: 'tempo', frame: 0, bpm: 96.5, beatsPerBar: 3 });
    assert.deepEqual((await client.ask(port, '/get', 'sss', ['eighth_per_cycle', client.url, '/g'])).args, [-2, 'eighth_per_cycle', 6]);
  });

  it('/sl/N/hit maps SooperLooper commands; -1 is every loop, -3 the selected one', async () => {
    for (const cmd of ['record', 'overdub', 'undo', 'redo', 'pause', 'solo', 'mute']) await client.send(port, '/sl/0/hit', 's', [cmd]);
    await client.send(port, '/sl/-1/hit', 's', ['mute_on']);
    await client.send(port, '/set', 'sf', ['selected_loop_num', 3]);
    await client.send(port, '/sl/-3/hit', 's', ['record']);
    await client.send(port, '/sl/0/hit', 's', ['mute_off']);
    await client.sync(port);
    assert.deepEqual(link.commands(), [
      'record:1', 'overdub:1', 'undo:1', 'redo:1', 'pause:1', 'solo:1', 'mute:1',
      'mute:1', 'mute:2', 'mute:3', 'mute:4', 'record:4', 'unmute:1',
    ]);
  });

  it('maps the loop transforms: multiply, insert, replace, substitute, reverse, oneshot, trigger, and rate as halving and doubling', async () => {
    event({ type: 'state', track: 1, state: 'playing', frame: 0, frames: 48000, seconds: 1, bars: 0.5 });
    for (const cmd of ['multiply', 'insert', 'replace', 'substitute', 'reverse', 'oneshot', 'trigger']) await client.send(port, '/sl/0/hit', 's', [cmd]);
    await client.send(port, '/sl/0/set', 'sf', ['rate', 0.5]);
    await client.send(port, '/sl/0/set', 'sf', ['rate', 2]);
    await client.send(port, '/sl/0/set', 'sf', ['rate', 3]);
    await client.sync(port);
    assert.deepEqual(link.commands(), ['multiply:1', 'insert:1', 'replace:1', 'substitute:1', 'reverse:1', 'oneshot:1', 'retrigger:1', 'half:1', 'double:1', 'double:1']);
    // SooperLooper keeps the rate as set (3 is no halving or doubling here, so the loop plays at 2)
    assert.equal((await get(0, 'rate'))[2], 3);
    assert.equal((await get(0, 'rate_output'))[2], -2, 'reversed, at twice the speed');
    event({ type: 'state', track: 1, state: 'multiplying', frame: 100, frames: 48000, seconds: 1, bars: 0.5 });
    assert.equal((await get(0, 'state'))[2], SlState.Multiplying);
    event({ type: 'state', track: 1, state: 'replacing', frame: 200, frames: 48000, seconds: 1, bars: 0.5 });
    assert.equal((await get(0, 'state'))[2], SlState.Replacing);
    event({ type: 'state', track: 1, state: 'oneshot', frame: 300, frames: 48000, seconds: 1, bars: 0.5 });
    assert.equal((await get(0, 'state'))[2], SlState.OneShot);
  });

  it('drops commands it does not have, loops it does not have, and wrong signatures, without a reply', async () => {
    await client.send(port, '/sl/0/hit', 's', ['scratch']);
    await client.send(port, '/sl/0/hit', 's', ['solo_next']);
    await client.send(port, '/sl/9/hit', 's', ['record']);
    await client.send(port, '/sl/-2/hit', 's', ['record']);
    await client.send(port, '/sl/0/hit', 'i', [1]);
    await client.send(port, '/sl/0/get', 'ss', ['state', client.url]);
    await client.send(port, '/loop_add', 's', ['two']);
    await client.send(port, '/quit', 'i', [1]);
    await client.sync(port);
    assert.deepEqual(link.commands(), []);
    assert.equal(client.received.length, 0);
    // the two unknown hits reached the hit method (which ignores them); the other six matched nothing
    assert.equal(server.stats.unmatched, 6);
    assert.ok((await client.ask(port, '/ping', 'ss', [client.url, '/alive'])).address === '/alive');
  });

  it('/save_session and /load_session: a named session of the session folder, from the file name alone', async () => {
    await client.send(port, '/save_session', 'sss', ['/home/me/My Song.slsess', client.url, '/err']);
    await client.send(port, '/load_session', 'sss', ['C:\\sessions\\take-2.slsess', client.url, '/err']);
    await client.send(port, '/save_session', 'sssi', ['../../etc/passwd', client.url, '/err', 1]);
    await client.sync(port);
    assert.deepEqual(link.sessions, ['save My Song', 'load take-2', 'save passwd']);
    assert.equal(client.received.length, 0);
    // a name that is not a session name, and a refusal by the host: ,ss (our URL, what failed) to the
    // error path, in SooperLooper's words
    const bad = await client.ask(port, '/save_session', 'sss', ['/tmp/.hidden', client.url, '/err']);
    assert.equal(bad.address, '/err');
    assert.deepEqual(bad.args, [`osc.udp://127.0.0.1:${port}/`, 'Session Save Failed']);
    link.sessionError = 'no session named "nope"; saved sessions: (none)';
    const refused = await client.ask(port, '/load_session', 'sss', ['nope', client.url, '/err']);
    assert.deepEqual(refused.args, [`osc.udp://127.0.0.1:${port}/`, 'Session Load Failed']);
  });

  it('converts numeric argument types as liblo does (/set with an int, /get with symbols)', async () => {
    await client.send(port, '/sl/1/set', 'si', ['wet', 0]);
    await client.send(port, '/sl/1/set', 'sd', ['pan_1', 0.25]);
    await client.sync(port);
    // pan_1 0.25 with pan_2 at its default 1: a balance of 0.25
    assert.deepEqual(link.commands(), ['volume:2', 'pan:2=0.25']);
    assert.deepEqual((await get(1, 'pan_1'))[2], 0.25);
  });

  it('down then up after a long press repeats the command (SUS); a short press does not', async () => {
    event({ type: 'state', track: 1, state: 'playing', frame: 0, frames: 48000, seconds: 1, bars: 0.5 });
    // the clock moves only once the server has taken each message
    const press = async (kind: string, cmd: string): Promise<void> => {
      await client.send(port, `/sl/0/${kind}`, 's', [cmd]);
      await client.sync(port);
    };
    await press('down', 'overdub');
    event({ type: 'state', track: 1, state: 'overdubbing', frame: 1000, frames: 48000, seconds: 1, bars: 0.5 });
    clock += LONG_PRESS_MS + 1;
    await press('up', 'overdub');
    await press('down', 'record');
    clock += 200;
    await press('up', 'record');
    // held undo undoes everything it can
    event({ type: 'layers', track: 1, frame: 2000, undo: 3, redo: 0 });
    await press('down', 'undo');
    clock += LONG_PRESS_MS + 1;
    await press('up', 'undo');
    assert.deepEqual(link.commands(), ['overdub:1', 'overdub:1', 'record:1', 'undo:1', 'undo:1', 'undo:1', 'undo:1']);
  });

  it('register_auto_update: interval clamped to 10..100 ms in 10 ms steps, sent only on change', async () => {
    await client.send(port, '/set', 'sf', ['sync_source', -3]);
    await client.send(port, '/sl/0/register_auto_update', 'siss', ['state', 15, client.url, '/auto']);
    await client.send(port, '/register_auto_update', 'siss', ['tempo', 1000, client.url, '/gauto']);
    await client.sync(port);
    // the first tick sends the current values
    server.protocol.tick(clock);
    let got = await client.waitFor(2);
    assert.deepEqual(got.map((m) => [m.address, ...m.args]).sort(), [['/auto', 0, 'state', 0], ['/gauto', -2, 'tempo', 120]]);
    // nothing changed: nothing sent
    clock += 100;
    server.protocol.tick(clock);
    await client.sync(port);
    assert.equal(client.received.length, 2);
    event({ type: 'state', track: 1, state: 'recording', frame: 0, frames: 0, seconds: 0, bars: 0 });
    event({ type: 'tempo', frame: 0, bpm: 90, beatsPerBar: 4 });
    // 10 ms later only the state (every 10 ms) is due; the tempo (every 100 ms) is not yet
    clock += 10;
    server.protocol.tick(clock);
    got = await client.waitFor(3);
    assert.deepEqual(got[2].args, [0, 'state', SlState.Recording]);
    clock += 90;
    server.protocol.tick(clock);
    got = await client.waitFor(4);
    assert.deepEqual(got[3].args, [-2, 'tempo', 90]);
    await client.send(port, '/sl/0/unregister_auto_update', 'sss', ['state', client.url, '/auto']);
    await client.send(port, '/unregister_auto_update', 'sss', ['tempo', client.url, '/gauto']);
    await client.sync(port);
    assert.equal(server.protocol.hasAutoUpdates, false);
  });

  it('auto-updates of one interval go out in the same tick, by loop then control name: cycle_len before loop_len and loop_pos (slgui)', async () => {
    // slgui's registrations for a loop, in its order, a few ms apart
    for (const ctrl of ['state', 'next_state', 'loop_pos']) await client.send(port, '/sl/1/register_auto_update', 'siss', [ctrl, 100, client.url, '/ctrl']);
    await client.sync(port);
    clock += 3;
    for (const ctrl of ['loop_len', 'cycle_len']) await client.send(port, '/sl/1/register_auto_update', 'siss', [ctrl, 100, client.url, '/ctrl']);
    await client.sync(port);
    server.protocol.tick(clock);
    const first = await client.waitFor(5);
    assert.deepEqual(first.map((m) => m.args[1]), ['cycle_len', 'loop_len', 'loop_pos', 'next_state', 'state']);
    // loop 1's first take ends: its cycle, length and state change at once
    event({ type: 'state', track: 2, state: 'recording', frame: 1000, frames: 0, seconds: 0, bars: 0 });
    event({ type: 'state', track: 2, state: 'playing', frame: 49000, frames: 48000, seconds: 1, bars: 0 });
    // the next 100 ms mark: every one of them is due, though two were registered 3 ms later
    clock = 1100;
    server.protocol.tick(clock);
    await client.sync(port);
    const next = client.received.slice(5).map((m) => [m.args[0], m.args[1]]);
    assert.deepEqual(next.filter(([, c]) => c === 'cycle_len' || c === 'loop_len' || c === 'state'), [[1, 'cycle_len'], [1, 'loop_len'], [1, 'state']]);
    assert.deepEqual(client.received.slice(5).find((m) => m.args[1] === 'cycle_len')?.args, [1, 'cycle_len', 1]);
    // ...and nothing else is due before the next mark
    clock = 1199;
    server.protocol.tick(clock);
    await client.sync(port);
    assert.equal(client.received.length, 5 + next.length);
  });

  it('register_auto_update runs on its own timer over real time', async () => {
    const real = new OscServer({ link, tracks: TRACKS, sampleRate: 48000, bpm: 120, beatsPerBar: 4, port: 0 });
    const p = (await real.start()).port;
    try {
      await client.send(p, '/sl/0/register_auto_update', 'siss', ['state', 10, client.url, '/auto']);
      await client.waitFor(1);
      real.hostEvent({ type: 'state', track: 1, state: 'recording', frame: 0, frames: 0, seconds: 0, bars: 0 });
      const got = await client.waitFor(2);
      assert.deepEqual(got[1].args, [0, 'state', SlState.Recording]);
    } finally {
      await real.stop();
    }
  });

  it("register_update: a /set's value as given goes to who registered for it; a global /set not back to its setter", async () => {
    const other = await new TestOscClient().open();
    try {
      await client.send(port, '/sl/0/register_update', 'sss', ['wet', client.url, '/upd']);
      await other.send(port, '/sl/0/register_update', 'sss', ['wet', other.url, '/upd']);
      await client.send(port, '/register_update', 'sss', ['tempo', client.url, '/tempo']);
      await other.send(port, '/register_update', 'sss', ['tempo', other.url, '/tempo']);
      await other.sync(port);
      // a loop's /set reaches everyone registered, its setter too (SooperLooper 1.7.8)
      await client.send(port, '/sl/0/set', 'sf', ['wet', 0.5]);
      assert.deepEqual((await other.waitFor(1))[0].args, [0, 'wet', 0.5]);
      assert.deepEqual((await client.waitFor(1))[0].args, [0, 'wet', 0.5]);
      // a global /set reaches the others only, with the value as sent even when it is not kept
      await client.send(port, '/set', 'sf', ['tempo', -5]);
      assert.deepEqual((await other.waitFor(2))[1].args, [-2, 'tempo', -5]);
      // a change that is not a /set (a state, the engine's tempo) is no update: auto-updates poll those
      event({ type: 'tempo', frame: 0, bpm: 90, beatsPerBar: 4 });
      await client.sync(port);
      await other.sync(port);
      assert.equal(client.received.length, 1);
      assert.equal(other.received.length, 2);
    } finally {
      await other.close();
    }
  });

  it('/loop_add and /loop_del ask the engine; the loops follow its live tracks (events and status); /register hears the count', async () => {
    const warnings: string[] = [];
    link.current.tracks = link.current.tracks.slice(0, 3).map((t) => ({ ...t, live: t.track === 1 }));
    const few = new OscServer({ link, tracks: 3, loops: 1, sampleRate: 48000, bpm: 120, beatsPerBar: 4, port: 0, now: () => clock, warn: (w) => warnings.push(w) });
    const p = (await few.start()).port;
    // what the engine does: its 'loop' event, and the same in the status it answers from then on
    const engineSays = (track: number, live: boolean): void => {
      link.current.tracks[track - 1].live = live;
      few.hostEvent({ type: 'loop', track, frame: 0, live });
    };
    try {
      await client.send(p, '/register', 'ss', [client.url, '/loops']);
      await client.send(p, '/loop_add', 'if', [2, 30]);
      await client.sync(p);
      // the engine picks the free track: nothing changes before it says so
      assert.deepEqual(link.commands().filter((c) => c !== 'status'), ['addLoop:0']);
      assert.deepEqual(few.protocol.loopTracks, [1]);
      engineSays(2, true);
      engineSays(3, true);
      const counts = (await client.waitFor(2)).map((m) => m.args[2]);
      assert.deepEqual(counts, [2, 3]);
      assert.deepEqual(few.protocol.loopTracks, [1, 2, 3]);
      assert.deepEqual((await client.ask(p, '/ping', 'ss', [client.url, '/pong'])).args.slice(1), [SL_VERSION, 3]);
      // no free track: nothing is asked, no count goes out (as SooperLooper), and the warning says why
      await client.send(p, '/loop_add', 'if', [2, 30]);
      await client.sync(p);
      assert.equal(link.commands().filter((c) => c.startsWith('addLoop')).length, 1);
      assert.deepEqual(warnings, ['/loop_add: no free track: every one of the 3 tracks is a loop already (start with more tracks for more loops)']);
      // the engine's own refusal (another client took the track first) is reported too
      few.hostEvent({ type: 'error', track: 0, message: 'addLoop: no free track' });
      assert.equal(warnings[1], '/loop_add: addLoop: no free track');
      // deleting loop 0 deletes its track; once the engine says so, the loops after it move down
      await client.send(p, '/loop_del', 'i', [0]);
      await client.sync(p);
      assert.equal(link.commands().filter((c) => c !== 'status').pop(), 'deleteLoop:1');
      engineSays(1, false);
      assert.deepEqual((await client.waitFor(4)).filter((m) => m.address === '/loops').map((m) => m.args[2]), [2, 3, 2]);
      assert.deepEqual(few.protocol.loopTracks, [2, 3]);
      // SooperLooper keeps a deleted loop's methods: its get answers 0
      assert.deepEqual((await client.ask(p, '/sl/2/get', 'sss', ['state', client.url, '/g'])).args, [2, 'state', 0]);
      await client.send(p, '/loop_del', 'i', [-1]);
      await client.sync(p);
      assert.equal(link.commands().filter((c) => c !== 'status').pop(), 'deleteLoop:3');
      // a status (a client that missed the events) brings the same set: track 2 alone
      link.current.tracks[2].live = false;
      few.hostRestarted();
      await client.sync(p);
      assert.deepEqual(few.protocol.loopTracks, [2]);
      // a loop added on a lower track comes first: OSC loops are the live tracks in order
      engineSays(1, true);
      assert.deepEqual(few.protocol.loopTracks, [1, 2]);
    } finally {
      await few.stop();
    }
  });
  it('wildcards reach every method they name; an empty return path is answered', async () => {
    await client.send(port, '/sl/*/get', 'sss', ['state', client.url, '/w']);
    const got = await client.waitFor(6);
    // -1, -3, then the four loops, in SooperLooper's order
    assert.deepEqual(got.map((m) => m.args[0]), [-1, -3, 0, 1, 2, 3]);
    await client.send(port, '/sl/[12]/set', 'sf', ['wet', 0.5]);
    await client.sync(port);
    assert.deepEqual(link.commands(), ['volume:2=0.5', 'volume:3=0.5']);
    const before = client.received.length;
    await client.raw(port, encodeMessage('/sl/0/get', 'sss', ['state', client.url, '']));
    await client.sync(port);
    assert.equal(client.received.length, before + 1);
  });

  it('loop files, MIDI bindings and /quit, as SooperLooper answers them', async () => {
    let quits = 0;
    const q = new OscServer({ link, tracks: TRACKS, sampleRate: 48000, bpm: 120, beatsPerBar: 4, port: 0, now: () => clock, quit: () => quits++ });
    const p = (await q.start()).port;
    try {
      const load = await client.ask(p, '/sl/0/load_loop', 'sss', ['/etc/passwd', client.url, '/e']);
      assert.deepEqual(load.args, [`osc.udp://127.0.0.1:${p}/`, 'Loop Load Failed']);
      const save = await client.ask(p, '/sl/0/save_loop', 'sssss', ['/tmp/x.wav', 'float', 'little', client.url, '/e']);
      assert.deepEqual(save.args, [`osc.udp://127.0.0.1:${p}/`, 'Loop Save Failed']);
      assert.deepEqual((await client.ask(p, '/get_all_midi_bindings', 'ss', [client.url, '/m'])).args, ['done', '']);
      assert.deepEqual((await client.ask(p, '/cancel_midi_learn', 'ss', [client.url, '/m'])).args, ['learn_cancel', '']);
      await client.send(p, '/quit', '', []);
      await client.sync(p);
      assert.equal(quits, 1);
    } finally {
      await q.stop();
    }
  });

  it(`caps registrations at ${MAX_REGISTRATIONS}`, async () => {
    for (let i = 0; i < MAX_REGISTRATIONS + 20; i++) {
      await client.send(port, '/sl/0/register_update', 'sss', [`c${i}`, client.url, '/x']);
      // a socket's receive queue holds ~256 small datagrams: let the server drain it
      if (i % 100 === 99) await client.sync(port);
    }
    await client.sync(port);
    assert.equal(server.protocol.registrationCount, MAX_REGISTRATIONS);
  });

  it('/set tap_tempo taps the tempo (median of the intervals)', async () => {
    for (let i = 0; i < 4; i++) {
      await client.send(port, '/set', 'sf', ['tap_tempo', 1]);
      await client.sync(port);
      clock += 500;
    }
    assert.deepEqual(link.commands(), ['bpm:0=120', 'bpm:0=120', 'bpm:0=120']);
  });

  it('malformed packets get no reply and the server keeps answering', async () => {
    const junk = [
      Buffer.alloc(0), Buffer.from('/sl/0/hit'), Buffer.from('/sl\0,s\0\0', 'latin1'), Buffer.from('#bundle\0', 'latin1'),
      Buffer.from([0xff, 0xfe, 0xfd, 0xfc]), encodeMessage('/sl/0/hit', 's', ['record']).subarray(0, 16),
      Buffer.concat([encodeMessage('/ping', 'ss', [client.url, '/p']), Buffer.from([0, 0, 0, 0])]),
      Buffer.alloc(65000, 0x41),
    ];
    for (const j of junk) await client.raw(port, j);
    await client.sync(port);
    assert.equal(client.received.length, 0);
    assert.equal(server.stats.malformed, junk.length);
    assert.deepEqual(link.commands(), []);
    const r = await client.ask(port, '/ping', 'ss', [client.url, '/still-here']);
    assert.equal(r.address, '/still-here');
  });

  it('runs every message of a bundle', async () => {
    await client.raw(port, encodeBundle([encodeMessage('/sl/0/hit', 's', ['record']), encodeMessage('/sl/1/hit', 's', ['record'])]));
    await client.sync(port);
    assert.deepEqual(link.commands(), ['record:1', 'record:2']);
  });

  it('sends nothing to a return url that is not the sender (no reflection to other hosts)', async () => {
    await client.send(port, '/ping', 'ss', ['osc.udp://192.0.2.1:9000/', '/p']);
    await client.send(port, '/sl/0/get', 'sss', ['state', 'osc.tcp://127.0.0.1:9000/', '/p']);
    await client.send(port, '/sl/0/get', 'sss', ['state', 'osc.udp://no-such-host.invalid:9000/', '/p']);
    await client.send(port, '/sl/0/get', 'sss', ['state', client.url, 'no-slash']);
    // the .invalid name is looked up (and not found) before its reply is refused: wait for the count
    const deadline = Date.now() + 10000;
    while (server.stats.refusedReplies < 4 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    await client.sync(port);
    assert.equal(server.stats.refusedReplies, 4);
    assert.equal(server.stats.replies, 1, 'the only reply is the barrier\'s');
    assert.equal(client.received.length, 0);
    // a name of this machine is fine
    const r = await client.ask(port, '/ping', 'ss', [`localhost:${client.port}`, '/p']);
    assert.equal(r.address, '/p');
  });

  it('commands while the engine is down are dropped and counted, nothing thrown', async () => {
    link.running = false;
    await client.send(port, '/sl/0/hit', 's', ['record']);
    await client.sync(port);
    assert.equal(server.stats.droppedCommands, 1);
  });

  it('refuses to start on a port in use', async () => {
    const second = new OscServer({ link, tracks: TRACKS, sampleRate: 48000, bpm: 120, beatsPerBar: 4, port });
    await assert.rejects(second.start(), /EADDRINUSE/);
  });
});

describe('osc server driving the in-process engine', () => {
  it('records, plays and reports the state codes of a real engine', async () => {
    const config = { ...DEFAULT_HOST_CONFIG, backend: 'null' as const, tracks: 2, quantize: 'off' as const, memoryMiB: 16, crossfadeFrames: 0 };
    // the engine's blocks run when the test moves the clock: a command is taken by the next block
    const clock = new ManualClock();
    const engine = new InProcessClient(config, clock);
    await engine.start();
    const server = new OscServer({
      link: {
        send: (r) => engine.send(r),
        status: () => engine.request({ type: 'status' }) as Promise<HostStatus>,
        session: (command, name) => engine.request({ type: 'session', command, name }),
      },
      tracks: 2, sampleRate: config.sampleRate, bpm: config.bpm, beatsPerBar: config.beatsPerBar, port: 0, now: () => clock.now(),
    });
    engine.on('event', (e: HostEvent) => server.hostEvent(e));
    const port = (await server.start()).port;
    const client = await new TestOscClient().open();
    const stateOf = async (): Promise<number> => (await client.ask(port, '/sl/0/get', 'sss', ['state', client.url, '/s'])).args[2] as number;
    /** Sends a hit once the server took it, lets ms of audio run, and reads the state. */
    const hit = async (cmd: string, ms: number): Promise<number> => {
      await client.send(port, '/sl/0/hit', 's', [cmd]);
      await client.sync(port);
      clock.advance(ms);
      return stateOf();
    };
    const blockS = config.blockFrames / config.sampleRate;
    try {
      assert.equal(await hit('record', 200), SlState.Recording);
      assert.equal(await hit('record', 50), SlState.Playing);
      const len = (await client.ask(port, '/sl/0/get', 'sss', ['loop_len', client.url, '/s'])).args[2] as number;
      // from the block after the first hit to the block after the second
      assert.ok(Math.abs(len - 0.2) <= blockS + 1e-9, `loop_len ${len}`);
      assert.equal(await hit('pause', 50), SlState.Paused);
    } finally {
      await client.close();
      await server.stop();
      await engine.stop();
    }
  });
});
