import { strict as assert } from 'assert';
import { DiscoveryType, MeasurementType, decodeDiscovery, decodeMeasurement, encodeDiscovery, isDiscovery } from '../../lib/sync/link/codec';
import { AFTER_BYE_MS, ALIVE_PERIOD_MS, ALIVE_SLACK_MS, LinkPeer, TTL_SECONDS } from '../../lib/sync/link/peer';
import { phaseOf } from '../../lib/sync/link/timeline';
import { FakeHub, VirtualTime, fakePeer } from './fake-link-network';

// Link sessions between our peers on a fake network with virtual time: no sockets, no wall time.

/** The beat two peers see at the same instant, each through its own host clock. */
function beatsNow(hub: FakeHub, peers: [LinkPeer, number][]): number[] {
  return peers.map(([p, skew]) => p.beatAt(hub.time.now + skew));
}

/** A peer of another session ("bbbbbbbb" at 10.0.0.2, stopped) saying `type`, as raw bytes on the wire. */
function otherPeerSays(type: DiscoveryType.Alive | DiscoveryType.Response = DiscoveryType.Alive, microsPerBeat = 500000): Buffer {
  const id = Buffer.from('bbbbbbbb');
  const state = { timeline: { microsPerBeat, beatOrigin: 0, timeOrigin: 0 }, sessionId: id, startStop: { isPlaying: false, beats: 0, timestamp: 0 }, measurement: { address: '10.0.0.2', port: 30001 } };
  return encodeDiscovery({ type, ttl: 5, group: 0, nodeId: id, state });
}

describe('link peer', () => {
  let time: VirtualTime;
  let hub: FakeHub;

  beforeEach(() => {
    time = new VirtualTime();
    hub = new FakeHub(time);
  });

  it('announces itself: an alive at once and, alone, every 1.25 s, with its timeline and measurement endpoint', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    a.enable();
    time.advance(3000);
    const alives = hub.nets[0].sent.filter(([kind]) => kind === 'multicast').map(([, b]) => decodeDiscovery(b));
    assert.equal(alives.length, 3, 'at 0, 1.25 and 2.5 s');
    assert.equal(alives[0]?.type, DiscoveryType.Alive);
    assert.equal(alives[0]?.ttl, TTL_SECONDS);
    assert.deepEqual(alives[0]?.state?.measurement, { address: '10.0.0.1', port: 30001 });
    assert.equal(alives[0]?.state?.timeline.microsPerBeat, 500000);
  });

  it('a newer peer joins the older session: same tempo, beat and phase at the same instant, whatever the host clocks', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 5_000_000);
    time.advance(3000);
    const b = fakePeer(hub, '10.0.0.2', 90, -77_777_777);
    const counts: number[] = [];
    b.on('peers', (n) => counts.push(n));
    a.enable();
    b.enable();
    time.advance(500);
    assert.ok(b.sessionId.equals(a.nodeId), 'b is in a\'s session');
    assert.equal(b.tempo, 120);
    assert.equal(a.peerCount, 1);
    assert.deepEqual(counts, [1]);
    const [ba, bb] = beatsNow(hub, [[a, 5_000_000], [b, -77_777_777]]);
    assert.ok(Math.abs(ba - bb) < 1e-6, `beats ${ba} and ${bb}`);
    assert.ok(Math.abs(phaseOf(ba, 4) - phaseOf(bb, 4)) < 1e-6);
  });

  it('sessions started less than 500 ms apart count as the same age: the lower session id wins, else the older', () => {
    for (const [gap, youngerIsLower, winner] of [[100, true, 'younger'], [450, true, 'younger'], [100, false, 'older'], [700, true, 'older']] as const) {
      const t = new VirtualTime();
      const h = new FakeHub(t);
      const older = fakePeer(h, '10.0.0.1', 120, 0, false, () => (youngerIsLower ? 0.99 : 0));
      t.advance(gap);
      const younger = fakePeer(h, '10.0.0.2', 90, 0, false, () => (youngerIsLower ? 0 : 0.99));
      older.enable();
      younger.enable();
      t.advance(1000);
      const expected = winner === 'younger' ? younger.nodeId : older.nodeId;
      assert.ok(older.sessionId.equals(expected) && younger.sessionId.equals(expected), `gap ${gap} ms: the ${winner} peer's session`);
    }
  });

  it('an asymmetric path biases the measured offset by half the difference, no more', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    time.advance(1000);
    const b = fakePeer(hub, '10.0.0.2', 120, 123_456);
    hub.extraTowards.set('10.0.0.1', 400);
    a.enable();
    b.enable();
    time.advance(500);
    const [ba, bb] = beatsNow(hub, [[a, 0], [b, 123_456]]);
    // 400 µs more one way: b's ghost clock is off by 200 µs = 0.0004 beats at 120 bpm
    assert.ok(Math.abs((bb - ba) * 500000 - 200) < 2, `error ${(bb - ba) * 500000} µs`);
  });

  it('a measurement on a quiet path ends once 20 samples agree; with jitter it takes all 100, and both land on the session\'s clock', () => {
    const pingsToJoin = (jitter: (() => number) | undefined): { pings: number; offByMicros: number } => {
      const t = new VirtualTime();
      const h = new FakeHub(t);
      h.jitter = jitter;
      const a = fakePeer(h, '10.0.0.1', 120, 0);
      t.advance(1000);
      const b = fakePeer(h, '10.0.0.2', 120, 4_321_000);
      a.enable();
      b.enable();
      t.advance(2000);
      assert.ok(b.sessionId.equals(a.nodeId), 'b joined a\'s session');
      const offByMicros = Math.abs(b.beatAt(t.now + 4_321_000) - a.beatAt(t.now)) * 500000;
      const pings = h.nets[1].sent.filter(([kind, bytes]) => kind === 'measurement' && decodeMeasurement(bytes)?.type === MeasurementType.Ping);
      return { pings: pings.length, offByMicros };
    };
    const quiet = pingsToJoin(undefined);
    assert.equal(quiet.pings, 11, 'a first pong gives one sample, each after it two: 21 samples');
    assert.ok(quiet.offByMicros < 1, `${quiet.offByMicros} µs off`);
    // up to 400 µs more on each datagram, drawn the same way every run (mulberry32: successive draws
    // of a plain LCG are too alike, and a ping's and its pong's jitter would cancel)
    let seed = 1;
    const jittery = pingsToJoin(() => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return (((x ^ (x >>> 14)) >>> 0) / 4294967296) * 400;
    });
    assert.equal(jittery.pings, 51, '1 + 2 x 50 = 101 samples');
    assert.ok(jittery.offByMicros < 100, `${jittery.offByMicros} µs off`);
  });

  it('tempo changes travel both ways, and the beat does not jump at the change', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    time.advance(1000);
    const b = fakePeer(hub, '10.0.0.2', 100, 42);
    a.enable();
    b.enable();
    time.advance(500);
    const heard: number[] = [];
    a.on('tempo', (bpm) => heard.push(bpm));
    const before = b.beatAt(time.now + 42);
    b.setTempo(140, time.now + 42);
    assert.ok(Math.abs(b.beatAt(time.now + 42) - before) < 1e-6);
    time.advance(100);
    assert.ok(Math.abs(a.tempo - 140) < 1e-3);
    assert.deepEqual(heard.map((x) => Math.round(x * 1000) / 1000), [140]);
    a.setTempo(75);
    time.advance(100);
    assert.ok(Math.abs(b.tempo - 75) < 1e-3);
    const [ba, bb] = beatsNow(hub, [[a, 0], [b, 42]]);
    assert.ok(Math.abs(ba - bb) < 1e-6);
  });

  it('a peer that leaves says bye-bye; the one left founds its own session keeping tempo and beat, and they meet again', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    time.advance(1000);
    const b = fakePeer(hub, '10.0.0.2', 90, 1000);
    a.enable();
    b.enable();
    time.advance(500);
    const beatBefore = b.beatAt(time.now + 1000);
    a.disable();
    time.advance(1);
    assert.equal(b.peerCount, 0);
    assert.ok(b.sessionId.equals(b.nodeId), 'b founded a session of its own');
    assert.ok(Math.abs(b.beatAt(time.now + 1000) - beatBefore - 0.002) < 1e-6, 'the beat ran on');
    assert.equal(b.tempo, 120);
    b.setTempo(96);
    time.advance(2000);
    a.enable();
    time.advance(500);
    assert.equal(a.peerCount, 1);
    assert.equal(b.peerCount, 1);
    // b's session is older now (a came back with a fresh ghost clock): a joins it
    assert.ok(a.sessionId.equals(b.sessionId));
    assert.ok(Math.abs(a.tempo - 96) < 1e-3);
    const [ba, bb] = beatsNow(hub, [[a, 0], [b, 1000]]);
    assert.ok(Math.abs(ba - bb) < 1e-6);
  });

  it('answers an alive from a new peer at once, then at most once a second while nothing changes', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    a.enable();
    time.advance(10);
    const b = hub.add('10.0.0.2');
    const responses = (): number => hub.nets[0].sent.filter(([kind, bytes]) => kind === 'discovery' && decodeDiscovery(bytes)?.type === DiscoveryType.Response).length;
    for (let i = 0; i < 8; i++) {
      b.multicast('10.0.0.2', otherPeerSays());
      time.advance(250);
    }
    assert.equal(responses(), 2);
    b.multicast('10.0.0.2', otherPeerSays(DiscoveryType.Alive, 400000));
    time.advance(1);
    assert.equal(responses(), 3, 'a changed state is answered at once');
  });

  it('byte-identical alives of a peer in another session still lead to measuring that session, each time the last try failed', () => {
    hub.latency = 0;
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    a.enable();
    // b answers no pings: each measurement of its session fails after 5 pings unanswered
    const b = hub.add('10.0.0.2');
    const alive = otherPeerSays();
    const pings = (): number => hub.nets[0].sent.filter(([kind]) => kind === 'measurement').length;
    for (let i = 0; i < 8; i++) {
      b.multicast('10.0.0.2', alive);
      time.advance(250);
    }
    // 2 s of the same alive: a measurement (5 pings, 250 ms) starts again with the first alive after each failure
    assert.ok(pings() >= 20, `${pings()} pings`);
  });

  it('sends its periodic alive with a datagram that woke it anyway, a second after the last', () => {
    hub.latency = 0;
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    a.enable();
    const b = hub.add('10.0.0.2');
    const alive = otherPeerSays();
    const sentAt: number[] = [];
    let seen = hub.nets[0].sent.filter(([kind]) => kind === 'multicast').length;
    for (let i = 1; i <= 12; i++) {
      time.advance(250);
      b.multicast('10.0.0.2', alive);
      time.advance(0);
      const multicasts = hub.nets[0].sent.filter(([kind]) => kind === 'multicast').length;
      if (multicasts > seen) sentAt.push(i * 250);
      seen = multicasts;
    }
    // b's alives come every 250 ms: a's go out with those at 1, 2 and 3 s, none from its timer
    assert.deepEqual(sentAt, [1000, 2000, 3000]);
  });

  it('a datagram a peer sent before its bye-bye but read after it does not bring the peer back', () => {
    hub.latency = 0;
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    a.enable();
    const b = hub.add('10.0.0.2');
    const id = Buffer.from('bbbbbbbb');
    const aliveOfB = otherPeerSays();
    const responseOfB = otherPeerSays(DiscoveryType.Response);
    b.multicast('10.0.0.2', aliveOfB);
    time.advance(1);
    // b's session is another one: a counts only members of its own, so look at what a knows
    const known = (): number => (a as unknown as { peers: Map<string, unknown> }).peers.size;
    assert.equal(known(), 1);
    b.multicast('10.0.0.2', encodeDiscovery({ type: DiscoveryType.ByeBye, ttl: 0, group: 0, nodeId: id }));
    time.advance(1);
    b.send('10.0.0.2', 'discovery', responseOfB, { address: '10.0.0.1', port: hub.nets[0].discoveryPort });
    time.advance(1);
    assert.equal(known(), 0, 'the late response is ignored');
    time.advance(AFTER_BYE_MS);
    b.multicast('10.0.0.2', aliveOfB);
    time.advance(1);
    assert.equal(known(), 1, 'a new alive later is a peer again');
  });

  it('measures its session again every 30 s, so a drifting host clock stays on the session\'s ghost time', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    time.advance(1000);
    // b's clock runs 100 ppm fast: 3 ms off after 30 s unless measured again
    const start = time.now;
    const drifting = (): number => time.now + (time.now - start) * 1e-4;
    const b = new LinkPeer({ network: hub.add('10.0.0.2'), clock: drifting, timers: time, bpm: 90 });
    a.enable();
    b.enable();
    time.advance(500);
    const offBy = (): number => Math.abs(b.beatAt(drifting()) - a.beatAt(time.now)) * 500;
    assert.ok(offBy() < 0.2, `${offBy()} ms off after the join`);
    time.advance(29_000);
    assert.ok(offBy() > 2, `${offBy()} ms off before measuring again`);
    time.advance(2_000);
    assert.ok(offBy() < 0.5, `${offBy()} ms off after measuring again`);
  });

  it('a peer that goes silent is dropped after its TTL', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    const b = fakePeer(hub, '10.0.0.2', 120, 0);
    a.enable();
    b.enable();
    time.advance(500);
    assert.equal(a.peerCount, 1);
    hub.cut.add('10.0.0.2');
    time.advance(TTL_SECONDS * 1000 - 500);
    assert.equal(a.peerCount, 1);
    // checked at a's next alive: alone, its timer's
    time.advance(ALIVE_PERIOD_MS + ALIVE_SLACK_MS);
    assert.equal(a.peerCount, 0);
  });

  it('three peers end in one session', () => {
    const skews = [0, 3_000_000, -9_000_000];
    const peers = skews.map((s, i) => {
      const p = fakePeer(hub, `10.0.0.${i + 1}`, 100 + i * 10, s);
      time.advance(700);
      return p;
    });
    for (const p of peers.reverse()) p.enable();
    peers.reverse();
    time.advance(1500);
    for (const p of peers) {
      assert.ok(p.sessionId.equals(peers[0].nodeId));
      assert.equal(p.peerCount, 2);
      assert.equal(p.tempo, 100);
    }
    const beats = beatsNow(hub, peers.map((p, i) => [p, skews[i]] as [LinkPeer, number]));
    assert.ok(Math.max(...beats) - Math.min(...beats) < 1e-6);
  });

  it('start/stop: shared with peers that sync it, not by those that do not', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0, true);
    time.advance(1000);
    const b = fakePeer(hub, '10.0.0.2', 120, 0, true);
    const c = fakePeer(hub, '10.0.0.3', 120, 0, false);
    for (const p of [a, b, c]) p.enable();
    time.advance(500);
    const started: boolean[] = [];
    b.on('startStop', (on) => started.push(on));
    a.setPlaying(true);
    time.advance(100);
    assert.equal(b.isPlaying, true);
    assert.equal(c.isPlaying, false);
    b.setPlaying(false);
    time.advance(100);
    assert.equal(a.isPlaying, false);
    assert.deepEqual(started, [true, false]);
  });

  it('a malformed datagram is reported and changes nothing', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    const problems: string[] = [];
    a.on('malformed', (_from, problem) => problems.push(problem));
    a.enable();
    hub.nets[0].onDatagram?.('discovery', Buffer.from('_asdp_v\x01\x01\x05\x00\x00abcdefghtmln\x00\x00\x00\x18', 'latin1'), { address: '10.0.0.9', port: 1 });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /runs past the end/);
    assert.equal(a.peerCount, 0);
  });

  it('after disable it sends nothing more', () => {
    const a = fakePeer(hub, '10.0.0.1', 120, 0);
    a.enable();
    time.advance(100);
    a.disable();
    const sent = hub.nets[0].sent.length;
    const last = hub.nets[0].sent[sent - 1][1];
    assert.ok(isDiscovery(last) && decodeDiscovery(last)?.type === DiscoveryType.ByeBye);
    time.advance(2000);
    assert.equal(hub.nets[0].sent.length, sent);
  });
});
