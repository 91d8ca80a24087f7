import { InputError } from '../engine/commands';
import { AppendFile } from './durable';
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

const MAGIC = 'LSCAPT01';
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

export function encodeCaptureHeader(h: CaptureHeader): Buffer {
  const json = JSON.stringify(h);
  const padded = json.padEnd(Math.ceil((12 + Buffer.byteLength(json)) / 8) * 8 - 12, ' ');
  const out = Buffer.alloc(12 + Buffer.byteLength(padded));
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(Buffer.byteLength(padded), 8);
  out.write(padded, 12, 'utf8');
  return out;
}

/** A capture's header and its whole frames (a trailing partial frame, cut by a crash, is dropped). */
export function parseCapture(file: string, bytes: Buffer): { header: CaptureHeader; data: Float32Array } {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) throw new InputError(file, 'not a capture file (bad magic)');
  const size = bytes.readUInt32LE(8);
  if (size > MAX_HEADER_BYTES || 12 + size > bytes.length) throw new InputError(file, 'capture header cut off or damaged');
  let h: CaptureHeader;
  try {
    h = JSON.parse(bytes.toString('utf8', 12, 12 + size)) as CaptureHeader;
  } catch (e) {
    throw new InputError(file, `capture header is not valid JSON (${(e as Error).message})`);
  }
  const ints = [h.track, h.sampleRate, h.startPos, h.len, h.anchor, h.began];
  if (h.version !== CAPTURE_VERSION || (h.kind !== 'record' && h.kind !== 'overdub') || !ints.every(Number.isSafeInteger)) {
    throw new InputError(file, `capture header has unexpected fields (version ${JSON.stringify(h.version)}, kind ${JSON.stringify(h.kind)})`);
  }
  if (h.kind === 'overdub' && !(h.len > 0 && h.startPos >= 0 && h.startPos < h.len)) throw new InputError(file, 'capture header: overdub without a loop length');
  const start = 12 + size;
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
  private pending: Float32Array[] = [];
  private pendingFrames = 0;
  private lastSync = Date.now();
  private syncing = false;

  constructor(readonly path: string, readonly header: CaptureHeader, private readonly timing: CaptureTiming) {
    this.file = new AppendFile(path);
    this.file.append(encodeCaptureHeader(header));
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
