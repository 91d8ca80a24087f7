import { InputError } from '../engine/commands';
import * as fs from 'fs';
import * as path from 'path';
import { AppendFile, syncDir, syncFile, writeFileAtomic } from './durable';
import { float32Bytes, float32FromBytes } from './wav';

// Capture files: a record or overdub pass streamed to disk while it happens (Ardour's capture files are
// the model), so a crash loses at most the last moments of it. Append-only: a small header, then the
// pass's frames as raw float32 stereo, little endian. Frame k of the stream is the loop content at
// position (startPos + k) mod len right after the pass wrote it (a recording: position k), so replaying
// the stream in order over the layer the pass started from rebuilds the pass as far as it got, and a
// stream cut anywhere (kill -9, power cut) is still valid up to its last whole frame.
//
// Layout: "LSCAPT01", u32 LE header length H, H bytes of JSON (space-padded so the frames start at a
// multiple of 8), then the frames.
//
// Seals: when a pass ends and becomes a layer, its capture is completed by a seal file <capture>.seal
// ("LSSEAL01", the same header layout): the layer's length, anchor and file name, and the stream's last
// frames, from the first one the OS had not yet confirmed for the capture, taken from the finished layer
// (so they include what the pass's end changed again, like a recording's end crossfade). The seal is
// written synchronously, in the same turn as the pass's end is seen: from then on, until a manifest
// names the layer, the capture and its seal hold the whole pass, and restore.ts loads it back bit for bit.

const MAGIC = 'LSCAPT01';
const SEAL_MAGIC = 'LSSEAL01';
export const CAPTURE_EXT = '.cap';
export const SEAL_EXT = '.seal';
const CAPTURE_VERSION = 1;
const MAX_HEADER_BYTES = 4096;
const FRAME_BYTES = 8;

export type PassKind = 'record' | 'overdub';

export interface CaptureHeader {
  version: number;
  track: number;
  kind: PassKind;
  sampleRate: number;
  /** loop position of stream frame 0 */
  startPos: number;
  /** loop length for an overdub (positions wrap), 0 for a recording */
  len: number;
  /** the overdub's layer anchor (0 for a recording: its anchor is where it would have ended) */
  anchor: number;
  /** engine frame at which the pass began writing */
  began: number;
  /** layer file the overdub started from (its content where the pass has not written), null for a recording */
  base: string | null;
  createdAt: string;
}

/** How a completed pass ends: what a sealed capture needs to rebuild its layer exactly. */
export interface CaptureSeal {
  /** the layer's length in frames */
  len: number;
  /** the layer's anchor (engine frame of its position 0) */
  anchor: number;
  /** the layer's file name in layers/ */
  file: string;
  /** stream frames [streamFrom, streamTo) are in the seal and replace the capture's from streamFrom on */
  streamFrom: number;
  streamTo: number;
}

/** The seal is written synchronously only up to this many frames; a disk far behind gets it asynchronously. */
export const MAX_SYNC_SEAL_FRAMES = 48000;

export function encodeCaptureHeader(h: CaptureHeader): Buffer {
  return encodeHeader(MAGIC, h);
}

function encodeHeader(magic: string, h: object): Buffer {
  const json = JSON.stringify(h);
  const padded = json.padEnd(Math.ceil((12 + Buffer.byteLength(json)) / 8) * 8 - 12, ' ');
  const out = Buffer.alloc(12 + Buffer.byteLength(padded));
  out.write(magic, 0, 'latin1');
  out.writeUInt32LE(Buffer.byteLength(padded), 8);
  out.write(padded, 12, 'utf8');
  return out;
}

/** The JSON header and where the frames start; `what` names the kind of file in errors. */
function parseHeader(file: string, bytes: Buffer, magic: string, what: string): { json: unknown; start: number } {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== magic) throw new InputError(file, `not a ${what} file (bad magic)`);
  const size = bytes.readUInt32LE(8);
  if (size > MAX_HEADER_BYTES || 12 + size > bytes.length) throw new InputError(file, `${what} header cut off or damaged`);
  try {
    return { json: JSON.parse(bytes.toString('utf8', 12, 12 + size)), start: 12 + size };
  } catch (e) {
    throw new InputError(file, `${what} header is not valid JSON (${(e as Error).message})`);
  }
}

/** The seal file: the end of a completed pass and the stream's last frames. */
export function encodeSeal(seal: CaptureSeal, tail: Float32Array): Buffer {
  return Buffer.concat([encodeHeader(SEAL_MAGIC, seal), float32Bytes(tail)]);
}

export function parseSeal(file: string, bytes: Buffer): { seal: CaptureSeal; tail: Float32Array } {
  const { json, start } = parseHeader(file, bytes, SEAL_MAGIC, 'seal');
  const s = json as CaptureSeal;
  const tail = float32FromBytes(bytes.subarray(start));
  if (![s.len, s.anchor, s.streamFrom, s.streamTo].every(Number.isSafeInteger) || typeof s.file !== 'string'
    || !(s.len > 0 && s.streamFrom >= 0 && s.streamFrom <= s.streamTo) || tail.length !== (s.streamTo - s.streamFrom) * 2) {
    throw new InputError(file, 'seal header has unexpected fields or the wrong number of frames');
  }
  return { seal: s, tail };
}

/**
 * The layer a sealed pass became: the capture's stream up to streamFrom, then the seal's frames, as a
 * recording (the first `len` frames) or an overdub replayed on its base. Null when the capture holds
 * fewer than streamFrom frames (then it is not the capture the seal was written for).
 */
export function sealedLayer(header: CaptureHeader, captured: Float32Array, base: Float32Array | null, seal: CaptureSeal, tail: Float32Array): Float32Array | null {
  if (captured.length < seal.streamFrom * 2) return null;
  const stream = new Float32Array(seal.streamTo * 2);
  stream.set(captured.subarray(0, seal.streamFrom * 2));
  stream.set(tail, seal.streamFrom * 2);
  if (header.kind === 'overdub') return header.len === seal.len ? replayOverdub(header, stream, base) : null;
  if (seal.streamTo < seal.len) return null;
  return stream.slice(0, seal.len * 2);
}

/** A capture's header and its whole frames (a trailing partial frame, cut by a crash, is dropped). */
export function parseCapture(file: string, bytes: Buffer): { header: CaptureHeader; data: Float32Array } {
  const { json, start } = parseHeader(file, bytes, MAGIC, 'capture');
  const h = json as CaptureHeader;
  const ints = [h.track, h.sampleRate, h.startPos, h.len, h.anchor, h.began];
  if (h.version !== CAPTURE_VERSION || (h.kind !== 'record' && h.kind !== 'overdub') || !ints.every(Number.isSafeInteger)) {
    throw new InputError(file, `capture header has unexpected fields (version ${JSON.stringify(h.version)}, kind ${JSON.stringify(h.kind)})`);
  }
  if (h.kind === 'overdub' && !(h.len > 0 && h.startPos >= 0 && h.startPos < h.len)) throw new InputError(file, 'capture header: overdub without a loop length');
  const frames = Math.floor((bytes.length - start) / FRAME_BYTES);
  return { header: h, data: float32FromBytes(bytes.subarray(start, start + frames * FRAME_BYTES)) };
}

/**
 * Rebuilds an overdub pass: `base` (the layer it started from, or silence) with the captured frames
 * laid over it in order. Returns a new array; `base` is not changed.
 */
export function replayOverdub(header: CaptureHeader, stream: Float32Array, base: Float32Array | null): Float32Array {
  const len = header.len;
  const out = new Float32Array(len * 2);
  if (base) out.set(base.subarray(0, len * 2));
  const frames = stream.length / 2;
  // only the last len frames can matter: earlier ones were written over by later ones
  for (let k = Math.max(0, frames - len); k < frames; k++) {
    const p = (header.startPos + k) % len;
    out[2 * p] = stream[2 * k];
    out[2 * p + 1] = stream[2 * k + 1];
  }
  return out;
}

export interface CaptureTiming {
  /** append to the file once this many frames are waiting (kill -9 loses at most these) */
  appendFrames: number;
  /** fsync at least this often while capturing (a power cut loses at most about this) */
  syncMs: number;
}

/**
 * Streams one pass to its capture file. push() copies nothing (the caller hands over a fresh chunk) and
 * never waits: appends and fsyncs run in order on the threadpool.
 */
export class CaptureWriter {
  /** frames of the pass handed to push() */
  frames = 0;
  private readonly file: AppendFile;
  private readonly headerBytes: number;
  private pending: Float32Array[] = [];
  private pendingFrames = 0;
  private lastSync = Date.now();
  private syncing = false;

  /** `ready`: the capture folder exists (the file is opened after it settles). */
  constructor(readonly path: string, readonly header: CaptureHeader, private readonly timing: CaptureTiming, ready?: Promise<void>) {
    this.file = new AppendFile(path, 'wx', ready);
    const head = encodeCaptureHeader(header);
    this.headerBytes = head.length;
    this.file.append(head);
  }

  get error(): Error | null {
    return this.file.error;
  }

  push(chunk: Float32Array): void {
    this.pending.push(chunk);
    this.pendingFrames += chunk.length / 2;
    this.frames += chunk.length / 2;
    if (this.pendingFrames >= this.timing.appendFrames) this.appendPending();
    if (!this.syncing && Date.now() - this.lastSync >= this.timing.syncMs) {
      this.syncing = true;
      this.lastSync = Date.now();
      this.file.sync().then(
        () => (this.syncing = false),
        () => (this.syncing = false), // kept in `error`
      );
    }
  }

  /** Writes what is waiting and fsyncs: the pass so far survives a power cut once this resolves. */
  async sync(): Promise<void> {
    this.appendPending();
    await this.file.sync();
  }

  /** Writes what is waiting and closes the file (the pass is over; the file stays until its layer is saved). */
  async close(): Promise<void> {
    this.appendPending();
    await this.file.close();
  }

  /** Stream frames the OS has accepted (they survive a kill of this process). */
  get confirmedFrames(): number {
    return Math.max(0, Math.floor((this.file.writtenBytes - this.headerBytes) / FRAME_BYTES));
  }

  /**
   * Closes a pass that became a layer with its seal (see the top of this file). `tail(from)` returns
   * stream frames [from, seal.streamTo) of the finished pass. A short seal is written before this returns
   * (the one synchronous write, a few tens of KiB once per pass); a longer one after the capture's
   * queued appends. Resolves once capture and seal are on the disk (fsynced).
   */
  seal(seal: Omit<CaptureSeal, 'streamFrom'>, minFrom: number, tail: (from: number) => Float32Array): Promise<void> {
    const file = this.path + SEAL_EXT;
    const sealFrom = (from: number) => encodeSeal({ ...seal, streamFrom: from }, tail(from));
    const from = Math.min(this.confirmedFrames, minFrom);
    if (!this.file.error && seal.streamTo - from <= MAX_SYNC_SEAL_FRAMES) {
      try {
        fs.writeFileSync(file, sealFrom(from));
        return this.sync().then(() => this.close()).then(() => syncFile(file)).then(() => syncDir(path.dirname(file)));
      } catch {
        // written below, after the capture, where a failure is reported
      }
    }
    // after the capture's queued appends: the seal needs only what was never handed to them, taken now
    // (the arena region may be reused by the time the disk catches up)
    const late = sealFrom(Math.min(this.frames, minFrom));
    return this.sync()
      .then(() => this.close())
      .then(() => writeFileAtomic(file, late));
  }

  private appendPending(): void {
    if (this.pendingFrames === 0) return;
    const all = new Float32Array(this.pendingFrames * 2);
    let at = 0;
    for (const c of this.pending) {
      all.set(c, at);
      at += c.length;
    }
    this.pending = [];
    this.pendingFrames = 0;
    this.file.append(float32Bytes(all));
  }
}
