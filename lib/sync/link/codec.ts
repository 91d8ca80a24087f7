// The Link wire formats, both ways, as observed on the wire (docs/link.md lists each fact and where it
// was confirmed). Two kinds of UDP datagram:
//
// - discovery ("_asdp_v" 1): a 20-byte header (protocol tag, message type, TTL in seconds, session
//   group, the sender's 8-byte node id) and, for alive and response messages, the sender's state as
//   payload entries;
// - measurement ("_link_v" 1): a 9-byte header (tag, type: ping or pong) and payload entries.
//
// A payload entry is a 4-character key, a big-endian uint32 size and that many bytes. Integers are
// big-endian int64. Entries we do not know are skipped by their size, so newer peers that add entries
// stay readable; an entry we know with a wrong size, or one running past the datagram, refuses the
// whole datagram with a LinkCodecError.

export class LinkCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkCodecError';
  }
}

export const DISCOVERY_TAG = '_asdp_v';
export const MEASUREMENT_TAG = '_link_v';
export const PROTOCOL_VERSION = 1;
export const NODE_ID_BYTES = 8;

export const enum DiscoveryType {
  Alive = 1,
  Response = 2,
  ByeBye = 3,
}

export const enum MeasurementType {
  Ping = 1,
  Pong = 2,
}

/** The session's shared beat timeline: beat = beatOrigin + (ghost - timeOrigin) / microsPerBeat. */
export interface Timeline {
  microsPerBeat: number;
  /** micro-beats at timeOrigin */
  beatOrigin: number;
  /** ghost time, µs */
  timeOrigin: number;
}

export interface StartStopState {
  isPlaying: boolean;
  /** micro-beats: the beat at which playing starts or stops */
  beats: number;
  /** ghost time (µs) of the change; a state with a later timestamp wins */
  timestamp: number;
}

export interface Endpoint {
  address: string;
  port: number;
}

/** What an alive or response message says about its sender. */
export interface PeerState {
  timeline: Timeline;
  /** the node id of the session's founder */
  sessionId: Buffer;
  startStop: StartStopState;
  /** where it answers pings */
  measurement: Endpoint;
}

export interface DiscoveryMessage {
  type: DiscoveryType;
  /** seconds the sender's state stays valid without another message; 0 for bye-bye */
  ttl: number;
  group: number;
  nodeId: Buffer;
  /** present on alive and response messages */
  state?: PeerState;
}

export interface MeasurementMessage {
  type: MeasurementType;
  /** ping: the sender's host time (µs); pong: echoed */
  hostTime?: number;
  /** the ghost time of the previous pong, echoed back so both ends of a ping bracket it */
  prevGhostTime?: number;
  /** pong: the responder's ghost time when it answered (µs) */
  ghostTime?: number;
  /** pong: the responder's session */
  sessionId?: Buffer;
}

const KEY = {
  timeline: 'tmln',
  session: 'sess',
  startStop: 'stst',
  measurementV4: 'mep4',
  hostTime: '__ht',
  ghostTime: '__gt',
  prevGhostTime: '_pgt',
} as const;

const SIZE: Record<string, number> = {
  [KEY.timeline]: 24,
  [KEY.session]: NODE_ID_BYTES,
  [KEY.startStop]: 17,
  [KEY.measurementV4]: 6,
  [KEY.hostTime]: 8,
  [KEY.ghostTime]: 8,
  [KEY.prevGhostTime]: 8,
};

const DISCOVERY_HEADER = 20;
const MEASUREMENT_HEADER = 9;

// ---------------------------------------------------------------- encoding

/** int64 fields carry µs or micro-beats: integers well inside ±2^53. */
function int64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(Math.round(v)));
  return b;
}

function entry(key: string, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(key, 0, 4, 'latin1');
  head.writeUInt32BE(value.length, 4);
  return Buffer.concat([head, value]);
}

function tag(text: string, version: number): Buffer {
  return Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from([version])]);
}

export function encodeTimeline(t: Timeline): Buffer {
  return Buffer.concat([int64(t.microsPerBeat), int64(t.beatOrigin), int64(t.timeOrigin)]);
}

export function encodeStartStop(s: StartStopState): Buffer {
  return Buffer.concat([Buffer.from([s.isPlaying ? 1 : 0]), int64(s.beats), int64(s.timestamp)]);
}

function encodeEndpoint(e: Endpoint): Buffer {
  const parts = e.address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new LinkCodecError(`${e.address} is not an IPv4 address`);
  const b = Buffer.alloc(6);
  parts.forEach((p, i) => (b[i] = p));
  b.writeUInt16BE(e.port, 4);
  return b;
}

function checkNodeId(id: Buffer): void {
  if (id.length !== NODE_ID_BYTES) throw new LinkCodecError(`a node id has ${NODE_ID_BYTES} bytes, not ${id.length}`);
}

export function encodeDiscovery(m: DiscoveryMessage): Buffer {
  checkNodeId(m.nodeId);
  const head = Buffer.alloc(DISCOVERY_HEADER - 8);
  tag(DISCOVERY_TAG, PROTOCOL_VERSION).copy(head, 0);
  head[8] = m.type;
  head[9] = m.ttl;
  head.writeUInt16BE(m.group, 10);
  const parts = [head, m.nodeId];
  if (m.state) {
    checkNodeId(m.state.sessionId);
    parts.push(
      entry(KEY.timeline, encodeTimeline(m.state.timeline)),
      entry(KEY.session, m.state.sessionId),
      entry(KEY.startStop, encodeStartStop(m.state.startStop)),
      entry(KEY.measurementV4, encodeEndpoint(m.state.measurement)),
    );
  }
  return Buffer.concat(parts);
}

export function encodeMeasurement(m: MeasurementMessage): Buffer {
  const parts = [tag(MEASUREMENT_TAG, PROTOCOL_VERSION), Buffer.from([m.type])];
  if (m.sessionId) {
    checkNodeId(m.sessionId);
    parts.push(entry(KEY.session, m.sessionId));
  }
  if (m.ghostTime !== undefined) parts.push(entry(KEY.ghostTime, int64(m.ghostTime)));
  if (m.hostTime !== undefined) parts.push(entry(KEY.hostTime, int64(m.hostTime)));
  if (m.prevGhostTime !== undefined) parts.push(entry(KEY.prevGhostTime, int64(m.prevGhostTime)));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- decoding

function readInt64(b: Buffer, at: number): number {
  const v = b.readBigInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new LinkCodecError(`an int64 field (${v}) is beyond ±2^53`);
  return Number(v);
}

/** The known entries of a payload, by key; unknown ones skipped. */
function entries(b: Buffer, from: number): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  let at = from;
  while (at < b.length) {
    if (at + 8 > b.length) throw new LinkCodecError(`a payload entry header at byte ${at} runs past the end (${b.length} bytes)`);
    const key = b.toString('latin1', at, at + 4);
    const size = b.readUInt32BE(at + 4);
    const start = at + 8;
    if (start + size > b.length) throw new LinkCodecError(`the "${key}" entry (${size} bytes) runs past the end of the datagram`);
    const expected = SIZE[key];
    if (expected !== undefined) {
      if (size !== expected) throw new LinkCodecError(`the "${key}" entry has ${size} bytes; accepted: ${expected}`);
      found.set(key, b.subarray(start, start + size));
    }
    at = start + size;
  }
  return found;
}

const DISCOVERY_TAG_BYTES = Buffer.from(DISCOVERY_TAG, 'latin1');
const MEASUREMENT_TAG_BYTES = Buffer.from(MEASUREMENT_TAG, 'latin1');

/** Compared as bytes: every datagram is checked, and a string per datagram would be garbage. */
function hasTag(b: Buffer, tag: Buffer): boolean {
  return b.length > tag.length && b.compare(tag, 0, tag.length, 0, tag.length) === 0;
}

export function isDiscovery(b: Buffer): boolean {
  return hasTag(b, DISCOVERY_TAG_BYTES);
}

export function isMeasurement(b: Buffer): boolean {
  return hasTag(b, MEASUREMENT_TAG_BYTES);
}

export function decodeTimeline(v: Buffer): Timeline {
  const t = { microsPerBeat: readInt64(v, 0), beatOrigin: readInt64(v, 8), timeOrigin: readInt64(v, 16) };
  if (t.microsPerBeat <= 0) throw new LinkCodecError(`a timeline's µs per beat must be positive, not ${t.microsPerBeat}`);
  return t;
}

export function decodeStartStop(v: Buffer): StartStopState {
  return { isPlaying: v[0] !== 0, beats: readInt64(v, 1), timestamp: readInt64(v, 9) };
}

// Reading a discovery datagram's header without decoding it (no allocation), for the ones that repeat.

/** Whether discovery datagram `b` (a whole header) was sent by node `id`. */
export function sentBy(b: Buffer, id: Buffer): boolean {
  return b.length >= DISCOVERY_HEADER && b.compare(id, 0, NODE_ID_BYTES, DISCOVERY_HEADER - NODE_ID_BYTES, DISCOVERY_HEADER) === 0;
}

export const discoveryTypeOf = (b: Buffer): number => b[8];
/** seconds */
export const discoveryTtlOf = (b: Buffer): number => b[9];

/** Null for a datagram of another version (a later protocol we ignore); throws for a broken one. */
export function decodeDiscovery(b: Buffer): DiscoveryMessage | null {
  if (!isDiscovery(b)) throw new LinkCodecError('not a discovery message (no "_asdp_v" tag)');
  if (b[7] !== PROTOCOL_VERSION) return null;
  if (b.length < DISCOVERY_HEADER) throw new LinkCodecError(`a discovery header has ${DISCOVERY_HEADER} bytes, the datagram ${b.length}`);
  const type = b[8];
  if (type !== DiscoveryType.Alive && type !== DiscoveryType.Response && type !== DiscoveryType.ByeBye) throw new LinkCodecError(`unknown discovery message type ${type}`);
  const m: DiscoveryMessage = { type, ttl: b[9], group: b.readUInt16BE(10), nodeId: Buffer.from(b.subarray(12, 20)) };
  if (type === DiscoveryType.ByeBye) return m;
  const e = entries(b, DISCOVERY_HEADER);
  const tl = e.get(KEY.timeline);
  const sess = e.get(KEY.session);
  const ep = e.get(KEY.measurementV4);
  if (!tl || !sess || !ep) throw new LinkCodecError(`an ${type === DiscoveryType.Alive ? 'alive' : 'response'} message lacks ${[!tl && KEY.timeline, !sess && KEY.session, !ep && KEY.measurementV4].filter(Boolean).join(', ')}`);
  const stst = e.get(KEY.startStop);
  m.state = {
    timeline: decodeTimeline(tl),
    sessionId: Buffer.from(sess),
    // a peer from before start/stop sync sends none: stopped, from the beginning of time
    startStop: stst ? decodeStartStop(stst) : { isPlaying: false, beats: 0, timestamp: 0 },
    measurement: { address: [...ep.subarray(0, 4)].join('.'), port: ep.readUInt16BE(4) },
  };
  return m;
}

/** Null for another version; throws for a broken datagram. */
export function decodeMeasurement(b: Buffer): MeasurementMessage | null {
  if (!isMeasurement(b)) throw new LinkCodecError('not a measurement message (no "_link_v" tag)');
  if (b[7] !== PROTOCOL_VERSION) return null;
  if (b.length < MEASUREMENT_HEADER) throw new LinkCodecError('a measurement message without its type byte');
  const type = b[8];
  if (type !== MeasurementType.Ping && type !== MeasurementType.Pong) throw new LinkCodecError(`unknown measurement message type ${type}`);
  const e = entries(b, MEASUREMENT_HEADER);
  const m: MeasurementMessage = { type };
  const num = (key: string): number | undefined => {
    const v = e.get(key);
    return v ? readInt64(v, 0) : undefined;
  };
  const ht = num(KEY.hostTime);
  const gt = num(KEY.ghostTime);
  const pgt = num(KEY.prevGhostTime);
  const sess = e.get(KEY.session);
  if (ht !== undefined) m.hostTime = ht;
  if (gt !== undefined) m.ghostTime = gt;
  if (pgt !== undefined) m.prevGhostTime = pgt;
  if (sess) m.sessionId = Buffer.from(sess);
  return m;
}
