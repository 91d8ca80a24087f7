import { strict as assert } from 'assert';
import { EventEmitter } from 'events';
import { DEFAULT_HOST_CONFIG, hostConfigOf } from '../../lib/control/host-config';
import { HostConfig, HostRequest } from '../../lib/io/protocol';
import { LinkEvent, LinkSync, SyncedConnection } from '../../lib/sync/link-sync';
import { DiscoveryType, decodeDiscovery } from '../../lib/sync/link/codec';
import type { LinkPeer } from '../../lib/sync/link/peer';
import { FakeHub, VirtualTime, fakePeer } from './fake-link-network';

// LinkSync between a fake engine connection and a fake Link network, in virtual time.

class FakeConnection extends EventEmitter implements SyncedConnection {
  readonly sent: HostRequest[] = [];
  filter: ((req: HostRequest) => boolean) | undefined;
  constructor(readonly config: HostConfig) {
    super();
  }
  send(req: HostRequest): boolean {
    if (this.filter?.(req)) return true;
    this.sent.push(req);
    return true;
  }
  setRequestFilter(f: ((req: HostRequest) => boolean) | undefined): void {
    this.filter = f;
  }
}

const commands = (c: FakeConnection): [string, number, unknown][] => c.sent.map((r) => (r.type === 'command' ? [r.command, r.track, r.value] : [r.type, 0, undefined]));

describe('link sync', () => {
  let time: VirtualTime;
  let hub: FakeHub;
  let connection: FakeConnection;
  let sync: LinkSync;
  const events: LinkEvent[] = [];

  async function start(startStopSync = false): Promise<void> {
    connection = new FakeConnection({ ...DEFAULT_HOST_CONFIG, bpm: 100, tracks: 4 });
    connection.on('link', (e: LinkEvent) => events.push(e));
    sync = new LinkSync(connection, { startStopSync, network: hub.add('10.0.0.1') as never, clock: () => time.now, timers: time });
    await sync.start();
  }

  /** Ours joined to a peer that syncs start/stop; `startStopSync` is ours. */
  async function inSessionWithStartStop(startStopSync: boolean): Promise<LinkPeer> {
    const other = fakePeer(hub, '10.0.0.2', 120, 0, true);
    other.enable();
    time.advance(1000);
    await start(startStopSync);
    time.advance(500);
    return other;
  }

  beforeEach(() => {
    time = new VirtualTime();
    hub = new FakeHub(time);
    events.length = 0;
  });

  it('joins an older session: the engine gets its tempo, and the status says the peer count', async () => {
    const other = fakePeer(hub, '10.0.0.2', 133, 0);
    other.enable();
    time.advance(1000);
    await start();
    time.advance(500);
    assert.ok(commands(connection).some(([c, , v]) => c === 'bpm' && Math.abs((v as number) - 133) < 1e-3));
    assert.equal(sync.status().peers, 1);
    assert.equal(events[events.length - 1].peers, 1);
  });

  it('a tempo from a node is proposed to the session instead of sent, and comes back as the session tempo', async () => {
    const other = fakePeer(hub, '10.0.0.2', 120, 0);
    other.enable();
    time.advance(1000);
    await start();
    time.advance(500);
    connection.sent.length = 0;
    connection.send({ type: 'command', command: 'bpm', track: 0, value: 88 });
    time.advance(100);
    assert.ok(Math.abs(other.tempo - 88) < 1e-3, 'the session took it');
    assert.deepEqual(commands(connection).map(([c]) => c), ['bpm']);
    assert.ok(Math.abs((commands(connection)[0][2] as number) - 88) < 1e-3);
    // other commands pass untouched
    connection.send({ type: 'command', command: 'record', track: 1 });
    assert.deepEqual(commands(connection)[1], ['record', 1, undefined]);
  });

  it('engine beats come back as link events carrying the session beat', async () => {
    await start();
    connection.emit('beat', { type: 'beat', frame: 48000, beat: 2, beatInBar: 2, bar: 0, downbeat: false });
    const e = events[events.length - 1];
    assert.equal(e.beat?.engineBeat, 2);
    assert.equal(typeof e.beat?.beat, 'number');
    assert.equal(e.quantum, 4);
  });

  it('start/stop sync: the session stopping stops the playing loops and the click, starting plays them again', async () => {
    const other = await inSessionWithStartStop(true);
    connection.emit('state', { type: 'state', track: 1, state: 'playing', frame: 0, frames: 1, seconds: 1, bars: 1 });
    connection.emit('state', { type: 'state', track: 2, state: 'stopped', frame: 0, frames: 1, seconds: 1, bars: 1 });
    other.setPlaying(true);
    time.advance(100);
    connection.sent.length = 0;
    other.setPlaying(false);
    time.advance(100);
    // the click, on as configured, stops with the session
    assert.deepEqual(commands(connection), [['stop', 1, 0], ['metronome', 0, 0]]);
    connection.sent.length = 0;
    other.setPlaying(true);
    time.advance(100);
    assert.deepEqual(commands(connection), [['play', 1, 0], ['metronome', 0, 1]]);
    assert.equal(sync.status().playing, true);
  });

  it('from a pending record until the loop plays, the follower holds back small corrections', async () => {
    await start();
    const follower = (sync as unknown as { follower: { settingLength: boolean } }).follower;
    assert.equal(follower.settingLength, false);
    connection.emit('pending', { type: 'pending', track: 2, state: 'recording', frame: 96000 });
    assert.equal(follower.settingLength, true);
    connection.emit('state', { type: 'state', track: 2, state: 'recording', frame: 96000, frames: 0, seconds: 0, bars: 0 });
    connection.emit('pending', { type: 'pending', track: 2, state: 'playing', frame: 192000 });
    assert.equal(follower.settingLength, true);
    connection.emit('state', { type: 'state', track: 2, state: 'playing', frame: 192000, frames: 96000, seconds: 2, bars: 1 });
    assert.equal(follower.settingLength, false);
  });

  it('start/stop sync: the click and the loops start and stop the session, which stops and starts the rest', async () => {
    const other = await inSessionWithStartStop(true);
    const state = (track: number, s: string): boolean => connection.emit('state', { type: 'state', track, state: s, frame: 0, frames: 1, seconds: 1, bars: 1 });
    state(1, 'playing');
    state(2, 'playing');
    // the click turned on (the metronome node's "start"): the session starts, and the click goes on
    connection.sent.length = 0;
    connection.send({ type: 'command', command: 'metronome', track: 0, value: true });
    time.advance(100);
    assert.equal(other.isPlaying, true);
    assert.deepEqual(commands(connection), [['metronome', 0, true]]);
    // stopping one of two playing loops leaves the session alone; stopping the last stops it, and the click
    connection.send({ type: 'command', command: 'stop', track: 1 });
    state(1, 'stopped');
    time.advance(100);
    assert.equal(other.isPlaying, true);
    connection.sent.length = 0;
    connection.send({ type: 'command', command: 'pause', track: 2 });
    time.advance(100);
    assert.equal(other.isPlaying, false);
    assert.deepEqual(commands(connection), [['stop', 2, 0], ['metronome', 0, 0], ['pause', 2, undefined]]);
    state(2, 'stopped');
    // a loop played while the session is stopped starts it: the loop and the click the stop took come back
    connection.sent.length = 0;
    connection.send({ type: 'command', command: 'toggle', track: 1 });
    time.advance(100);
    assert.equal(other.isPlaying, true);
    assert.deepEqual(commands(connection), [['play', 2, 0], ['metronome', 0, 1], ['toggle', 1, undefined]]);
  });

  it('start/stop sync: the click turned off by hand stops the session; a peer starting it turns the click back on', async () => {
    const other = await inSessionWithStartStop(true);
    other.setPlaying(true);
    time.advance(100);
    connection.sent.length = 0;
    connection.send({ type: 'command', command: 'metronome', track: 0, value: 'off' });
    time.advance(100);
    assert.equal(other.isPlaying, false);
    assert.deepEqual(commands(connection), [['metronome', 0, 0], ['metronome', 0, 'off']]);
    connection.sent.length = 0;
    other.setPlaying(true);
    time.advance(100);
    assert.deepEqual(commands(connection), [['metronome', 0, 1]]);
    // a bad value is the engine's to refuse: it proposes nothing
    connection.send({ type: 'command', command: 'metronome', track: 0, value: 'loud' });
    time.advance(100);
    assert.equal(other.isPlaying, true);
  });

  it('without start/stop sync, the click and the loops leave the session\'s start/stop alone', async () => {
    const other = await inSessionWithStartStop(false);
    connection.send({ type: 'command', command: 'metronome', track: 0, value: true });
    connection.send({ type: 'command', command: 'play', track: 1 });
    time.advance(100);
    assert.equal(other.isPlaying, false);
    assert.deepEqual(commands(connection).slice(-2), [['metronome', 0, true], ['play', 1, undefined]]);
  });

  it('close leaves the session with a bye-bye and lets every command through again', async () => {
    await start();
    await sync.close();
    const sent = hub.nets[0].sent;
    assert.equal(decodeDiscovery(sent[sent.length - 1][1])?.type, DiscoveryType.ByeBye);
    connection.send({ type: 'command', command: 'bpm', track: 0, value: 90 });
    assert.deepEqual(commands(connection).pop(), ['bpm', 0, 90]);
    assert.equal(connection.listenerCount('beat'), 0);
  });

  it('the engine config: Link is off unless chosen, and a bad sync source is refused naming the field', () => {
    assert.equal(hostConfigOf({}).sync, 'internal');
    assert.equal(hostConfigOf({}).linkStartStop, false);
    assert.deepEqual([hostConfigOf({ sync: 'link', linkStartStop: true }).sync, hostConfigOf({ sync: 'link', linkStartStop: true }).linkStartStop], ['link', true]);
    assert.throws(() => hostConfigOf({ sync: 'wifi' }), /sync.*accepted: internal, midi, link/);
  });
});
