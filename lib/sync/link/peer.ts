import { EventEmitter } from 'events';
import {
  DiscoveryMessage,
  DiscoveryType,
  Endpoint,
  LinkCodecError,
  MeasurementMessage,
  MeasurementType,
  NODE_ID_BYTES,
  PeerState,
  StartStopState,
  Timeline,
  decodeDiscovery,
  decodeMeasurement,
  discoveryTtlOf,
  discoveryTypeOf,
  encodeDiscovery,
  encodeMeasurement,
  isDiscovery,
  isMeasurement,
  sentBy,
} from './codec';
import { Measurement, PING_TIMEOUT_MS } from './measurement';
import { beatAtGhost, bpmOf, compareIds, ghostAtBeat, microsPerBeatOf, sameStartStop, sameTimeline, withTempo } from './timeline';

// A Link peer: it finds the other peers on the network, joins the oldest session it meets, keeps its
// ghost clock on that session's by ping-pong measurement, and shares the session's timeline (tempo,
// beat, phase) and start/stop state. The network and the clock are injected (udp.ts is the real
// network), so the whole behaviour runs in tests against fake peers and a fake clock.
//
// Protocol facts (docs/link.md): alive messages to the multicast group periodically and at once (but
// at most every MIN_BROADCAST_GAP_MS) when the state changes; a unicast response to an alive; a peer is
// gone after its TTL without a message, or at once on bye-bye. The Link library announces itself every
// 250 ms; this peer every ALIVE_PERIOD_MS (a fifth of its TTL), sent when a datagram wakes it anyway,
// and answers an alive only from a peer it does not know yet or whose state changed, or once per
// period: each datagram wakes the process, and on a small board the wake-ups are what the sync costs.
// Sessions: a peer in another session is measured; its session is joined when its ghost time runs
// ahead of ours (it is older). Within a session the timeline, and the start/stop state, with the
// later origin wins.

export const ALIVE_PERIOD_MS = 1000;
/**
 * The periodic alive goes out with the first datagram that wakes the process ALIVE_PERIOD_MS after
 * the last one (other peers send several a second), so that it costs no wake-up of its own; with
 * nothing heard, a timer sends it this much later.
 */
export const ALIVE_SLACK_MS = 250;
export const MIN_BROADCAST_GAP_MS = 50;
export const TTL_SECONDS = 5;
export const SESSION_GROUP = 0;
/** Two sessions whose ghost times are this close (µs) count as the same age: the lower session id wins. */
export const SAME_AGE_MICROS = 500_000;
/** How often the ghost offset is measured again against a session founded by another peer. */
export const REMEASURE_MS = 30000;
/**
 * A peer's datagrams that come in after its bye-bye, this soon, were sent before it: its response
 * and its bye-bye leave from one socket but reach two of ours (the response the discovery socket, the
 * bye-bye the multicast listener), which the process may read in either order.
 */
export const AFTER_BYE_MS = 500;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What the peer needs from the network (udp.ts; fakes in the tests). Addresses are IPv4. */
export interface LinkNetwork {
  /** The interfaces to speak on, by their address. */
  interfaces(): string[];
  /** Where this peer answers pings on interface `via`. */
  measurementEndpoint(via: string): Endpoint;
  /** A discovery datagram to the multicast group, out of interface `via`. */
  multicast(via: string, data: Buffer): void;
  /** A unicast datagram from interface `via`'s discovery or measurement socket. */
  send(via: string, socket: 'discovery' | 'measurement', data: Buffer, to: Endpoint): void;
  /** The interface through which `address` is reached. */
  route(address: string): string;
  /** Incoming datagrams (set by the peer). */
  onDatagram?: (socket: 'discovery' | 'measurement', data: Buffer, from: Endpoint) => void;
}

export interface LinkPeerOptions {
  network: LinkNetwork;
  /** this machine's monotonic clock, µs */
  clock: () => number;
  bpm: number;
  timers?: Timers;
  /** 0 <= random() < 1, for node ids */
  random?: () => number;
  /** take the session's start/stop state, and share ours (default false) */
  startStopSync?: boolean;
}

interface KnownPeer {
  nodeId: Buffer;
  state: PeerState;
  /** the datagram that said it: a byte-identical one says nothing new */
  datagram: Buffer;
  /** host time (µs) after which it is gone without another message */
  expires: number;
  /** host time (µs) of our last response to it */
  answered: number;
}

export interface LinkPeerEvents {
  peers: [count: number];
  /** the timeline or the ghost offset changed: tempo, beat or phase may have moved */
  timeline: [timeline: Timeline];
  tempo: [bpm: number];
  startStop: [isPlaying: boolean];
  /** a datagram that could not be read (its sender, what was wrong) */
  malformed: [from: Endpoint, problem: string];
}

const hex = (b: Buffer): string => b.toString('hex');

function samePeerState(a: PeerState, b: PeerState): boolean {
  return a.sessionId.equals(b.sessionId) && sameTimeline(a.timeline, b.timeline) && sameStartStop(a.startStop, b.startStop) && a.measurement.address === b.measurement.address && a.measurement.port === b.measurement.port;
}

export class LinkPeer extends EventEmitter<LinkPeerEvents> {
  private readonly network: LinkNetwork;
  private readonly clock: () => number;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly startStopSync: boolean;
  private enabled = false;
  private nodeId_: Buffer;
  private sessionId_: Buffer;
  /** ghost = host + offset */
  private offset = 0;
  private timeline_: Timeline;
  private startStop_: StartStopState = { isPlaying: false, beats: 0, timestamp: 0 };
  private readonly peers = new Map<string, KnownPeer>();
  /** host time (µs) of each recent bye-bye, by node id */
  private readonly byes = new Map<string, number>();
  private readonly measurements = new Map<string, Measurement>();
  /** sessions measured and found younger than ours: host time (µs) until which they are not measured again */
  private readonly declined = new Map<string, number>();
  private lastCount = 0;
  private aliveTimer: unknown;
  private broadcastTimer: unknown;
  private remeasureTimer: unknown;
  private lastBroadcast = -Infinity;
  /** host time (µs) of the last ping we answered: someone may be measuring our session */
  private lastPing = -Infinity;
  private decideTimer: unknown;
  /** the session (hex id) measured and waiting for the decision to join it: not measured again meanwhile */
  private deciding: string | undefined;
  /** our alive and response, encoded for each interface, while the state they carry stays the same */
  private readonly encoded = new Map<string, { from: [Buffer, Buffer, Timeline, StartStopState]; alive: Buffer; response: Buffer }>();

  constructor(o: LinkPeerOptions) {
    super();
    this.network = o.network;
    this.clock = o.clock;
    this.timers = o.timers ?? realTimers;
    this.random = o.random ?? Math.random;
    this.startStopSync = o.startStopSync ?? false;
    this.nodeId_ = this.newNodeId();
    this.sessionId_ = this.nodeId_;
    this.timeline_ = { microsPerBeat: microsPerBeatOf(o.bpm), beatOrigin: 0, timeOrigin: 0 };
    this.offset = -this.clock();
  }

  get isEnabled(): boolean {
    return this.enabled;
  }
  get nodeId(): Buffer {
    return this.nodeId_;
  }
  get sessionId(): Buffer {
    return this.sessionId_;
  }
  get timeline(): Timeline {
    return this.timeline_;
  }
  get startStop(): StartStopState {
    return this.startStop_;
  }
  get tempo(): number {
    return bpmOf(this.timeline_);
  }
  get isPlaying(): boolean {
    return this.startStop_.isPlaying;
  }
  /** Other peers in our session. */
  get peerCount(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.state.sessionId.equals(this.sessionId_)) n++;
    return n;
  }

  ghostAt(host: number): number {
    return host + this.offset;
  }
  hostAt(ghost: number): number {
    return ghost - this.offset;
  }
  /** The session beat at host time `host` (µs). */
  beatAt(host: number): number {
    return beatAtGhost(this.timeline_, this.ghostAt(host));
  }
  /** The host time (µs) at which the session reaches `beat`. */
  timeAtBeat(beat: number): number {
    return this.hostAt(ghostAtBeat(this.timeline_, beat));
  }

  enable(): void {
    if (this.enabled) return;
    this.enabled = true;
    // the sockets, and so the measurement endpoints our messages carry, may be new
    this.encoded.clear();
    this.network.onDatagram = (socket, data, from) => this.datagram(socket, data, from);
    this.broadcast();
  }

  /** Leaves the session: a bye-bye to every interface, and silence. */
  disable(): void {
    if (!this.enabled) return;
    const bye = encodeDiscovery({ type: DiscoveryType.ByeBye, ttl: 0, group: SESSION_GROUP, nodeId: this.nodeId_ });
    for (const via of this.network.interfaces()) this.network.multicast(via, bye);
    this.enabled = false;
    this.network.onDatagram = undefined;
    for (const t of [this.aliveTimer, this.broadcastTimer, this.remeasureTimer, this.decideTimer]) this.timers.clearTimeout(t);
    this.deciding = undefined;
    for (const m of this.measurements.values()) m.cancel();
    this.measurements.clear();
    this.declined.clear();
    this.peers.clear();
    this.byes.clear();
    this.countChanged();
    // back alone: a session of our own, under a new id (the old one may live on without us)
    this.foundSession();
  }

  /** Proposes a tempo to the session, from host time `at` on (default now). */
  setTempo(bpm: number, at = this.clock()): void {
    const next = withTempo(this.timeline_, bpm, this.ghostAt(at));
    if (sameTimeline(next, this.timeline_)) return;
    this.timeline_ = next;
    this.emit('tempo', this.tempo);
    this.emit('timeline', next);
    this.broadcastSoon();
  }

  /** Starts or stops the session's transport at host time `at`, at the session beat there. */
  setPlaying(isPlaying: boolean, at = this.clock()): void {
    if (isPlaying === this.startStop_.isPlaying) return;
    this.startStop_ = { isPlaying, beats: Math.round(this.beatAt(at) * 1e6), timestamp: Math.round(this.ghostAt(at)) };
    this.emit('startStop', isPlaying);
    if (this.startStopSync) this.broadcastSoon();
  }

  // ---------------------------------------------------------------- receiving

  private datagram(socket: 'discovery' | 'measurement', data: Buffer, from: Endpoint): void {
    this.handle(socket, data, from);
    if (this.enabled && this.broadcastTimer === undefined && this.clock() - this.lastBroadcast >= ALIVE_PERIOD_MS * 1000) this.broadcast();
  }

  private handle(socket: 'discovery' | 'measurement', data: Buffer, from: Endpoint): void {
    try {
      if (socket === 'discovery' && isDiscovery(data)) {
        if (this.repeated(data, from)) return;
        const m = decodeDiscovery(data);
        if (m) this.discovery(m, data, from);
      } else if (socket === 'measurement' && isMeasurement(data)) {
        const m = decodeMeasurement(data);
        if (m) this.measurement(m, from);
      }
    } catch (err) {
      if (!(err instanceof LinkCodecError)) throw err;
      this.emit('malformed', from, err.message);
    }
  }

  /**
   * Our own alive (multicast comes back to us), or a member of our session saying again, byte for
   * byte, what it said last: only its TTL is renewed and, once a period, its alive answered. A peer of
   * the Link library repeats its alive four times a second; this spares decoding each (no allocation).
   * A peer of another session takes the full path, which decides when that session is measured again.
   */
  private repeated(data: Buffer, from: Endpoint): boolean {
    if (sentBy(data, this.nodeId_)) return true;
    for (const peer of this.peers.values()) {
      if (!peer.datagram.equals(data)) continue;
      if (!peer.state.sessionId.equals(this.sessionId_)) return false;
      const now = this.clock();
      peer.expires = now + discoveryTtlOf(data) * 1e6;
      if (discoveryTypeOf(data) === DiscoveryType.Alive && now - peer.answered >= ALIVE_PERIOD_MS * 1000) {
        peer.answered = now;
        this.respond(from);
      }
      return true;
    }
    return false;
  }

  private discovery(m: DiscoveryMessage, data: Buffer, from: Endpoint): void {
    if (m.nodeId.equals(this.nodeId_) || m.group !== SESSION_GROUP) return;
    const key = hex(m.nodeId);
    const now = this.clock();
    if (m.type === DiscoveryType.ByeBye) {
      this.byes.set(key, now);
      if (this.peers.delete(key)) this.peersChanged();
      return;
    }
    const bye = this.byes.get(key);
    if (bye !== undefined) {
      if (now - bye < AFTER_BYE_MS * 1000) return;
      this.byes.delete(key);
    }
    const state = m.state as PeerState;
    const known = this.peers.get(key);
    const peer: KnownPeer = { nodeId: m.nodeId, state, datagram: data, expires: now + m.ttl * 1e6, answered: known?.answered ?? -Infinity };
    this.peers.set(key, peer);
    const news = !known || !samePeerState(known.state, state);
    if (m.type === DiscoveryType.Alive && (news || now - peer.answered >= ALIVE_PERIOD_MS * 1000)) {
      peer.answered = now;
      this.respond(from);
    }
    if (state.sessionId.equals(this.sessionId_)) this.sessionState(state);
    else this.foreignSession(state);
    this.peersChanged();
  }

  /** A member of our session says what the session is: the later timeline or start/stop state wins. */
  private sessionState(state: PeerState): void {
    const t = state.timeline;
    if (t.timeOrigin > this.timeline_.timeOrigin && !sameTimeline(t, this.timeline_)) this.adoptTimeline(t);
    if (this.startStopSync && state.startStop.timestamp > this.startStop_.timestamp) this.adoptStartStop(state.startStop);
  }

  private foreignSession(state: PeerState): void {
    const key = hex(state.sessionId);
    if (this.measurements.has(key) || this.deciding === key || (this.declined.get(key) ?? -Infinity) > this.clock()) return;
    this.measure(state, (offset) => {
      if (offset !== undefined) this.decide(state.sessionId, offset);
    });
  }

  private measure(state: PeerState, done: (offset: number | undefined) => void): void {
    const key = hex(state.sessionId);
    const via = this.network.route(state.measurement.address);
    const m = new Measurement(
      state.measurement,
      state.sessionId,
      (msg, to) => this.network.send(via, 'measurement', encodeMeasurement(msg), to),
      this.clock,
      this.timers,
      (offset) => {
        if (this.measurements.get(key) === m) this.measurements.delete(key);
        if (this.enabled) done(offset);
      },
    );
    this.measurements.set(key, m);
  }

  /** A session measured at `offset`: join it if it is older than ours. */
  private decide(sessionId: Buffer, offset: number): void {
    if (sessionId.equals(this.sessionId_)) {
      // our own session measured again: follow its ghost clock
      this.setOffset(offset);
      return;
    }
    const ahead = offset - this.offset;
    const older = ahead > SAME_AGE_MICROS || (Math.abs(ahead) <= SAME_AGE_MICROS && compareIds(sessionId, this.sessionId_) < 0);
    if (!older) {
      this.declined.set(hex(sessionId), this.clock() + REMEASURE_MS * 1000);
      return;
    }
    // a peer measuring us while we switch would get pongs from two ghost clocks and could misjudge
    // which session is older: wait until its pings stop (and the session still has a member we know)
    if (this.clock() - this.lastPing < PING_TIMEOUT_MS * 1000) {
      this.timers.clearTimeout(this.decideTimer);
      this.deciding = hex(sessionId);
      this.decideTimer = this.timers.setTimeout(() => {
        this.deciding = undefined;
        if (this.enabled) this.decide(sessionId, offset);
      }, PING_TIMEOUT_MS);
      return;
    }
    if (![...this.peers.values()].some((p) => p.state.sessionId.equals(sessionId))) return;
    this.declined.clear();
    this.sessionId_ = sessionId;
    this.offset = offset;
    const members = [...this.peers.values()].filter((p) => p.state.sessionId.equals(sessionId));
    const newest = <T extends { timeOrigin?: number; timestamp?: number }>(pick: (p: KnownPeer) => T, at: (v: T) => number): T | undefined =>
      members.map(pick).reduce<T | undefined>((best, v) => (best === undefined || at(v) > at(best) ? v : best), undefined);
    const timeline = newest((p) => p.state.timeline, (t) => t.timeOrigin);
    if (timeline) this.adoptTimeline(timeline, true);
    const startStop = newest((p) => p.state.startStop, (s) => s.timestamp);
    if (this.startStopSync && startStop) this.adoptStartStop(startStop);
    this.scheduleRemeasure();
    this.peersChanged();
  }

  private measurement(m: MeasurementMessage, from: Endpoint): void {
    if (m.type === MeasurementType.Ping) {
      if (m.hostTime === undefined) return;
      this.lastPing = this.clock();
      const pong: MeasurementMessage = { type: MeasurementType.Pong, sessionId: this.sessionId_, ghostTime: Math.round(this.ghostAt(this.clock())), hostTime: m.hostTime };
      if (m.prevGhostTime !== undefined) pong.prevGhostTime = m.prevGhostTime;
      this.network.send(this.network.route(from.address), 'measurement', encodeMeasurement(pong), from);
      return;
    }
    for (const meas of this.measurements.values()) {
      if (meas.target.address === from.address && meas.target.port === from.port) meas.pong(m);
    }
  }

  // ---------------------------------------------------------------- state changes

  private adoptTimeline(t: Timeline, always = false): void {
    const tempoChanged = t.microsPerBeat !== this.timeline_.microsPerBeat;
    if (!always && sameTimeline(t, this.timeline_)) return;
    this.timeline_ = t;
    if (tempoChanged) this.emit('tempo', this.tempo);
    this.emit('timeline', t);
    this.broadcastSoon();
  }

  private adoptStartStop(s: StartStopState): void {
    if (sameStartStop(s, this.startStop_)) return;
    const changed = s.isPlaying !== this.startStop_.isPlaying;
    this.startStop_ = s;
    if (changed) this.emit('startStop', s.isPlaying);
    this.broadcastSoon();
  }

  private setOffset(offset: number): void {
    if (Math.round(offset) === Math.round(this.offset)) return;
    this.offset = offset;
    this.emit('timeline', this.timeline_);
  }

  /**
   * Alone in a session founded by a peer that left: a session of our own under a new id, ghost time
   * from 0, and the tempo and beat we had, so nothing is heard to move.
   */
  private foundSession(): void {
    const now = this.clock();
    const beat = this.beatAt(now);
    this.nodeId_ = this.newNodeId();
    this.sessionId_ = this.nodeId_;
    this.offset = -now;
    this.timeline_ = { microsPerBeat: this.timeline_.microsPerBeat, beatOrigin: Math.round(beat * 1e6), timeOrigin: 0 };
    this.startStop_ = { isPlaying: this.startStop_.isPlaying, beats: Math.round(beat * 1e6), timestamp: 0 };
    this.timers.clearTimeout(this.remeasureTimer);
    this.emit('timeline', this.timeline_);
  }

  private peersChanged(): void {
    if (this.enabled && this.peerCount === 0 && !this.sessionId_.equals(this.nodeId_)) {
      this.foundSession();
      this.broadcastSoon();
    }
    this.countChanged();
  }

  private countChanged(): void {
    const n = this.peerCount;
    if (n === this.lastCount) return;
    this.lastCount = n;
    this.emit('peers', n);
  }

  private scheduleRemeasure(): void {
    this.timers.clearTimeout(this.remeasureTimer);
    this.remeasureTimer = this.timers.setTimeout(() => {
      if (!this.enabled) return;
      const member = [...this.peers.values()].find((p) => p.state.sessionId.equals(this.sessionId_));
      // the founder is the best reference; any member runs the same ghost clock
      const founder = this.peers.get(hex(this.sessionId_)) ?? member;
      if (founder && !this.measurements.has(hex(this.sessionId_))) this.measure(founder.state, (offset) => offset !== undefined && this.decide(founder.state.sessionId, offset));
      this.scheduleRemeasure();
    }, REMEASURE_MS);
  }

  // ---------------------------------------------------------------- sending

  private state(via: string): PeerState {
    return {
      timeline: this.timeline_,
      sessionId: this.sessionId_,
      // without start/stop sync we share no transport state: stopped since the beginning of time
      startStop: this.startStopSync ? this.startStop_ : { isPlaying: false, beats: 0, timestamp: 0 },
      measurement: this.network.measurementEndpoint(via),
    };
  }

  /** Our alive or response out of interface `via`, encoded again only when the state it carries changed. */
  private message(type: DiscoveryType.Alive | DiscoveryType.Response, via: string): Buffer {
    const from: [Buffer, Buffer, Timeline, StartStopState] = [this.nodeId_, this.sessionId_, this.timeline_, this.startStop_];
    let e = this.encoded.get(via);
    if (!e || e.from.some((v, i) => v !== from[i])) {
      const encode = (t: DiscoveryType): Buffer => encodeDiscovery({ type: t, ttl: TTL_SECONDS, group: SESSION_GROUP, nodeId: this.nodeId_, state: this.state(via) });
      e = { from, alive: encode(DiscoveryType.Alive), response: encode(DiscoveryType.Response) };
      this.encoded.set(via, e);
    }
    return type === DiscoveryType.Alive ? e.alive : e.response;
  }

  private respond(to: Endpoint): void {
    const via = this.network.route(to.address);
    this.network.send(via, 'discovery', this.message(DiscoveryType.Response, via), to);
  }

  /** An alive now, and again after ALIVE_PERIOD_MS (see ALIVE_SLACK_MS); also drops the peers whose TTL ran out. */
  private broadcast(): void {
    if (!this.enabled) return;
    this.timers.clearTimeout(this.aliveTimer);
    this.timers.clearTimeout(this.broadcastTimer);
    this.broadcastTimer = undefined;
    this.expire();
    for (const via of this.network.interfaces()) this.network.multicast(via, this.message(DiscoveryType.Alive, via));
    this.lastBroadcast = this.clock();
    this.aliveTimer = this.timers.setTimeout(() => this.broadcast(), ALIVE_PERIOD_MS + ALIVE_SLACK_MS);
  }

  /** A changed state goes out at once, but no sooner than MIN_BROADCAST_GAP_MS after the last alive. */
  private broadcastSoon(): void {
    if (!this.enabled || this.broadcastTimer !== undefined) return;
    const wait = MIN_BROADCAST_GAP_MS - (this.clock() - this.lastBroadcast) / 1000;
    if (wait <= 0) this.broadcast();
    else this.broadcastTimer = this.timers.setTimeout(() => this.broadcast(), wait);
  }

  private expire(): void {
    const now = this.clock();
    for (const [key, at] of this.byes) if (now - at >= AFTER_BYE_MS * 1000) this.byes.delete(key);
    let gone = false;
    for (const [key, p] of this.peers) {
      if (p.expires < now) {
        this.peers.delete(key);
        gone = true;
      }
    }
    if (gone) this.peersChanged();
  }

  private newNodeId(): Buffer {
    // printable ASCII, as the ids seen on the wire are
    const id = Buffer.alloc(NODE_ID_BYTES);
    for (let i = 0; i < NODE_ID_BYTES; i++) id[i] = 33 + Math.floor(this.random() * 94);
    return id;
  }
}
