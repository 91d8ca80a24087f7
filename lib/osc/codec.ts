// Open Sound Control 1.0 packets (opensoundcontrol.org/spec-1_0), both ways, with no dependency.
//
// Why our own and not `osc` or `osc-min`: the server parses packets from anyone who can reach its UDP
// port, so the parser is the attack surface. This one is ~200 lines we test byte by byte, refuses
// anything that does not follow the spec (padding, lengths, unknown type tags, trailing bytes) with
// an OscError instead of guessing, never allocates more than the packet it was given, and needs no
// install step; `osc` (osc.js) brings ws, long, slip and an optional native serialport build, and
// `osc-min` would still need our own strictness and coercion rules on top.
//
// Decoded arguments keep their OSC type (`types[i]`), because SooperLooper's methods are matched on
// type signatures; see coerce() for liblo's numeric conversions.

import { EXIT, UserError } from '../errors';

export class OscError extends UserError {
  constructor(message: string) {
    super(message, EXIT.badInput);
    this.name = 'OscError';
  }
}

export type OscValue = number | bigint | string | boolean | null | Buffer;

export interface OscMessage {
  address: string;
  /** the type tags without the leading comma, one per argument ('' for none) */
  types: string;
  args: OscValue[];
}

/** Nested bundles deeper than this are refused (a crafted packet could nest thousands). */
const MAX_BUNDLE_DEPTH = 8;
const BUNDLE_TAG = '#bundle';

const pad4 = (n: number): number => (n + 3) & ~3;

// ---------------------------------------------------------------- decoding

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer, private readonly end = buf.length) {}

  get left(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.left) throw new OscError(`${what} runs past the end of the packet`);
  }

  int32(): number {
    this.need(4, 'an int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** An OSC-string: ASCII up to a NUL, then NULs to the next multiple of 4. */
  string(what: string): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) throw new OscError(`${what} has no terminating NUL`);
    const next = this.pos + pad4(nul - this.pos + 1);
    if (next > this.end) throw new OscError(`${what} padding runs past the end of the packet`);
    for (let i = nul + 1; i < next; i++) if (this.buf[i] !== 0) throw new OscError(`${what} padding is not zero`);
    const s = this.buf.toString('latin1', this.pos, nul);
    this.pos = next;
    return s;
  }

  blob(): Buffer {
    const n = this.int32();
    if (n < 0) throw new OscError('a blob has a negative size');
    const next = this.pos + pad4(n);
    this.need(pad4(n), 'a blob');
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos = next;
    return b;
  }

  arg(tag: string): OscValue {
    const b = this.buf;
    switch (tag) {
      case 'i':
        return this.int32();
      case 'f': {
        this.need(4, 'a float32');
        const v = b.readFloatBE(this.pos);
        this.pos += 4;
        return v;
      }
      case 's':
      case 'S':
        return this.string('a string argument');
      case 'b':
        return this.blob();
      case 'h':
      case 't': {
        this.need(8, tag === 'h' ? 'an int64' : 'a time tag');
        const v = tag === 'h' ? b.readBigInt64BE(this.pos) : b.readBigUInt64BE(this.pos);
        this.pos += 8;
        return v;
      }
      case 'd': {
        this.need(8, 'a double');
        const v = b.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case 'c':
        return String.fromCharCode(this.int32() & 0xff);
      case 'r':
      case 'm':
        // an RGBA colour or a 4-byte MIDI message, as an unsigned 32-bit value
        return this.int32() >>> 0;
      case 'T':
        return true;
      case 'F':
        return false;
      case 'N':
        return null;
      case 'I':
        return Infinity;
      default:
        throw new OscError(`unknown type tag ${JSON.stringify(tag)}`);
    }
  }
}

function decodeMessage(r: Reader): OscMessage {
  const address = r.string('the address');
  if (!address.startsWith('/')) throw new OscError(`the address ${JSON.stringify(address.slice(0, 40))} does not start with "/"`);
  // OSC 1.0 makes the type tag string optional for old senders; no SooperLooper client omits it, and
  // without it the arguments cannot be read, so such a packet is refused
  if (r.left === 0) throw new OscError('the type tag string is missing');
  const tags = r.string('the type tag string');
  if (!tags.startsWith(',')) throw new OscError('the type tag string does not start with ","');
  const types = tags.slice(1);
  const args: OscValue[] = [];
  for (const tag of types) args.push(r.arg(tag));
  if (r.left !== 0) throw new OscError(`${r.left} bytes follow the last argument`);
  return { address, types, args };
}

function decodeInto(buf: Buffer, out: OscMessage[], depth: number): void {
  if (buf.length === 0 || buf.length % 4 !== 0) throw new OscError(`a packet of ${buf.length} bytes is not a positive multiple of 4`);
  if (buf[0] !== 0x23 /* # */) {
    out.push(decodeMessage(new Reader(buf)));
    return;
  }
  if (depth >= MAX_BUNDLE_DEPTH) throw new OscError(`bundles nested deeper than ${MAX_BUNDLE_DEPTH}`);
  const r = new Reader(buf);
  if (r.string('the bundle tag') !== BUNDLE_TAG) throw new OscError('a packet starting with "#" is not a #bundle');
  r.need(8, 'the bundle time tag');
  // the time tag is not honoured: every element runs on arrival (a looper acts now or on its own grid)
  r.pos += 8;
  while (r.left > 0) {
    const size = r.int32();
    if (size <= 0 || size % 4 !== 0) throw new OscError(`a bundle element of ${size} bytes`);
    r.need(size, 'a bundle element');
    decodeInto(buf.subarray(r.pos, r.pos + size), out, depth + 1);
    r.pos += size;
  }
}

/** The messages of a packet (a bundle's elements in order). Throws OscError for anything malformed. */
export function decodePacket(buf: Buffer): OscMessage[] {
  const out: OscMessage[] = [];
  decodeInto(buf, out, 0);
  return out;
}

// ---------------------------------------------------------------- encoding

function stringBytes(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  if (bytes.includes(0)) throw new OscError('an OSC string cannot contain NUL');
  const out = Buffer.alloc(pad4(bytes.length + 1));
  bytes.copy(out);
  return out;
}

/**
 * One message, with explicit type tags like liblo's lo_send(addr, path, "isf", ...): i (int32), f
 * (float32), d (double), h (int64), s (string), b (blob), T, F, N (no data). Throws OscError when an
 * argument does not fit its tag.
 */
export function encodeMessage(address: string, types: string, args: readonly OscValue[]): Buffer {
  const parts: Buffer[] = [stringBytes(address), stringBytes(`,${types}`)];
  let a = 0;
  for (const tag of types) {
    if (tag === 'T' || tag === 'F' || tag === 'N') continue;
    const v = args[a++];
    switch (tag) {
      case 'i': {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new OscError(`${String(v)} is not an int32`);
        const b = Buffer.alloc(4);
        b.writeInt32BE(v);
        parts.push(b);
        break;
      }
      case 'f':
      case 'd': {
        if (typeof v !== 'number') throw new OscError(`${String(v)} is not a number`);
        const b = Buffer.alloc(tag === 'f' ? 4 : 8);
        if (tag === 'f') b.writeFloatBE(v);
        else b.writeDoubleBE(v);
        parts.push(b);
        break;
      }
      case 'h': {
        if (typeof v !== 'bigint') throw new OscError(`${String(v)} is not a bigint`);
        const b = Buffer.alloc(8);
        b.writeBigInt64BE(v);
        parts.push(b);
        break;
      }
      case 's':
        if (typeof v !== 'string') throw new OscError(`${String(v)} is not a string`);
        parts.push(stringBytes(v));
        break;
      case 'b': {
        if (!Buffer.isBuffer(v)) throw new OscError('a blob must be a Buffer');
        const b = Buffer.alloc(4 + pad4(v.length));
        b.writeInt32BE(v.length);
        v.copy(b, 4);
        parts.push(b);
        break;
      }
      default:
        throw new OscError(`cannot encode type tag ${JSON.stringify(tag)}`);
    }
  }
  if (a !== args.length) throw new OscError(`${args.length} arguments for type tags ",${types}"`);
  return Buffer.concat(parts);
}

/** A #bundle of already encoded elements, with the "immediately" time tag (1). */
export function encodeBundle(elements: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [stringBytes(BUNDLE_TAG), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])];
  for (const e of elements) {
    const size = Buffer.alloc(4);
    size.writeInt32BE(e.length);
    parts.push(size, e);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- method signatures

/**
 * The arguments of `msg` converted to the signature `spec` the way liblo dispatches to a method with a
 * type spec: i, h, f and d convert into each other (floats to ints truncate), s and S into each other;
 * anything else must match exactly. Returns null when the message does not fit (no method is called).
 */
export function coerce(msg: OscMessage, spec: string): OscValue[] | null {
  if (msg.types.length !== spec.length) return null;
  const out: OscValue[] = [];
  for (let i = 0; i < spec.length; i++) {
    const want = spec[i];
    const have = msg.types[i];
    const v = msg.args[i];
    if (want === 's') {
      if (have !== 's' && have !== 'S') return null;
      out.push(v);
    } else if (want === 'i' || want === 'f') {
      if (!'ihfd'.includes(have)) return null;
      const n = typeof v === 'bigint' ? Number(v) : (v as number);
      if (!Number.isFinite(n)) return null;
      out.push(want === 'i' ? Math.trunc(n) : Math.fround(n));
    } else {
      return null;
    }
  }
  return out;
}
