// WAV import and export. wavefile parses and builds the RIFF structure; the samples are converted here,
// because wavefile's per-sample codecs are slow (string building when reading floats, Math.log per
// float written), and because it reads WAVE_FORMAT_EXTENSIBLE float data as integers.
//
// Sample rules (one scale, 2^(bits-1), both ways, so an int16 file re-exported as int16 is bit-identical):
//   read  PCM int N-bit: v / 2^(N-1) (8-bit is unsigned: (v - 128) / 128); float as is, NaN/Inf -> 0
//         (one NaN would poison every mix and overdub it touches).
//   write int16: round(x * 32768) clamped to [-32768, 32767], NaN -> 0: -1.0 -> -32768, +1.0 -> 32767
//         (one LSB short: the only asymmetry), never wraps.
// A data chunk shorter than its header declares is an error (a cut-off copy or a crashed recorder);
// a trailing partial frame, when the declared size is not a whole number of frames, is dropped.

import * as fs from 'fs';
import * as os from 'os';
import { WaveFile } from 'wavefile';
import { resample, resampledLength } from '../dsp/resample';
import * as path from 'path';
import { syncDirSync, tempPath, writeFileAtomic, writeFileAtomicSync } from './durable';
import { PathProblem, checkReplaceable, readRegularFile, readRegularFileSync } from './safe-file';
import { EXIT, UserError } from '../errors';

export type WavSampleFormat = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';
export type WavWriteFormat = 'float32' | 'int16';

export interface WavAudio {
  /** Interleaved stereo at the requested rate (a mono file is copied to both channels); with ReadWavOptions.channels, that many channels as they are. */
  data: Float32Array;
  frames: number;
  sourceRate: number;
  sourceChannels: number;
  sourceFormat: WavSampleFormat;
}

/** Any failure to read or write a WAV file. `message` is one line: "<file>: <what is wrong>[; <what is accepted>]". */
export class WavError extends UserError {
  constructor(readonly file: string, readonly problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, EXIT.badInput, options);
    this.name = 'WavError';
  }
}

const EXPECTED = 'expected a PCM (8/16/24/32-bit) or float (32/64-bit) WAV, mono or stereo';
const MIN_RATE = 1000;
const MAX_RATE = 768000;
// Guards the allocation (2 GiB of stereo float32): a corrupt header must give a WavError, not a RangeError.
const MAX_FRAMES = 2 ** 28;
/** The largest WAV file read (checked before reading): 1 GiB, 1.5 hours of 16-bit stereo at 48 kHz. */
export const MAX_WAV_BYTES = 2 ** 30;
/** The largest WAV file written: its sizes are 32-bit fields. */
export const MAX_WAV_FILE_BYTES = 0xffffffff;
const EXTENSIBLE = 0xfffe;
const LITTLE_ENDIAN = os.endianness() === 'LE';
const CODEC_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM', 6: 'A-law', 7: 'mu-law', 0x11: 'IMA ADPCM', 0x31: 'GSM 6.10', 0x50: 'MPEG', 0x55: 'MP3',
};
const BYTES_PER_SAMPLE: Record<WavSampleFormat, number> = { pcm8: 1, pcm16: 2, pcm24: 3, pcm32: 4, float32: 4, float64: 8 };
const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'file not found', EISDIR: 'is a folder, not a file', EACCES: 'permission denied', EPERM: 'permission denied',
};
const WRITE_PROBLEMS: Record<string, string> = {
  ENOENT: 'cannot write: the folder does not exist', ENOTDIR: 'cannot write: part of the path is not a folder',
  EISDIR: 'cannot write: a folder has that name', EACCES: 'cannot write: permission denied',
  EPERM: 'cannot write: permission denied', ENOSPC: 'cannot write: disk full', EROFS: 'cannot write: read-only file system',
};

// The parts of wavefile's chunk objects used here (its typings declare them as `object`).
interface FmtChunk { chunkSize: number; audioFormat: number; numChannels: number; sampleRate: number; blockAlign: number; bitsPerSample: number; subformat: number[] }
interface DataChunk { chunkSize: number; samples: Uint8Array }

/**
 * Reads a PCM or float WAV, mono or stereo, as interleaved stereo float32 resampled to opts.sampleRate.
 * Throws WavError for any problem with the file; RangeError only for a bad opts.sampleRate.
 */
export interface ReadWavOptions {
  sampleRate: number;
  /** refuse larger files before reading them (default MAX_WAV_BYTES) */
  maxBytes?: number;
  /** refuse a symbolic link (files inside a session folder) */
  noFollow?: boolean;
  /** a multi-channel input: the file must have exactly this many channels, returned as they are */
  channels?: number;
}

/**
 * Reads a PCM or float WAV, mono or stereo, as interleaved stereo float32 resampled to opts.sampleRate.
 * Only a regular file of at most opts.maxBytes is read. Throws WavError for any problem with the file;
 * RangeError only for a bad opts.sampleRate.
 */
export function readWav(file: string, opts: ReadWavOptions): WavAudio {
  checkRate(opts);
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(file, { maxBytes: opts.maxBytes ?? MAX_WAV_BYTES, noFollow: opts.noFollow });
  } catch (err) {
    throw readError(file, err);
  }
  return decodeWav(file, bytes, opts);
}

/** readWav without blocking on the disk: the file is read on the threadpool, then decoded. */
export async function readWavAsync(file: string, opts: ReadWavOptions): Promise<WavAudio> {
  checkRate(opts);
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, { maxBytes: opts.maxBytes ?? MAX_WAV_BYTES, noFollow: opts.noFollow });
  } catch (err) {
    throw readError(file, err);
  }
  return decodeWav(file, bytes, opts);
}

function checkRate(opts: ReadWavOptions): void {
  if (!Number.isSafeInteger(opts.sampleRate) || opts.sampleRate <= 0) throw new RangeError(`readWav: sampleRate must be a positive integer, got ${opts.sampleRate}`);
}

function readError(file: string, err: unknown): WavError {
  if (err instanceof PathProblem) return new WavError(file, err.problem);
  return new WavError(file, fsProblem(err, READ_PROBLEMS, 'cannot read'), { cause: err });
}

/** The decoding half of readWav, for bytes already in memory; `file` only names them in errors. */
export function decodeWav(file: string, bytes: Buffer, opts: { sampleRate: number; channels?: number }): WavAudio {
  const { samples, channels, rate, format } = parse(file, bytes, opts.channels);
  const frames = resampledLength(samples.length / channels, rate, opts.sampleRate);
  if (frames > MAX_FRAMES) {
    throw new WavError(file, `too long: ${Math.round(samples.length / channels / rate)} s; accepted: up to ${Math.floor(MAX_FRAMES / opts.sampleRate)} s at ${opts.sampleRate} Hz`);
  }
  const converted = resample(samples, channels, rate, opts.sampleRate);
  const data = channels === 2 || opts.channels !== undefined ? converted : monoToStereo(converted);
  return { data, frames, sourceRate: rate, sourceChannels: channels, sourceFormat: format };
}

/** A complete WAV file (RIFF, little endian): float32 (format 3) or int16 PCM, 1 or 2 channels. */
export function encodeWav(data: Float32Array, channels: number, sampleRate: number, format: WavWriteFormat): Buffer {
  if (channels !== 1 && channels !== 2) throw new RangeError(`encodeWav: channels must be 1 or 2, got ${channels}`);
  if (data.length % channels !== 0) throw new RangeError(`encodeWav: ${data.length} samples is not a whole number of ${channels}-channel frames`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`encodeWav: sampleRate must be a positive integer, got ${sampleRate}`);
  if (format !== 'float32' && format !== 'int16') throw new RangeError(`encodeWav: format must be "float32" or "int16", got ${String(format)}`);
  const wav = new WaveFile();
  wav.fromScratch(channels, sampleRate, format === 'float32' ? '32f' : '16', []);
  (wav.data as DataChunk).samples = format === 'float32' ? float32Bytes(data) : packInt16(data);
  const bytes = wav.toBuffer();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The header encodeWav writes before `frames` frames, for writers that stream the samples after it
 * (session layers, written in pieces between audio blocks). The samples that follow are float32Bytes().
 */
export function wavHeader(frames: number, channels: number, sampleRate: number, format: WavWriteFormat): Buffer {
  const header = encodeWav(new Float32Array(0), channels, sampleRate, format);
  const dataBytes = frames * channels * (format === 'float32' ? 4 : 2);
  if (header.length !== 44 || header.toString('latin1', 36, 40) !== 'data') throw new Error('wavHeader: unexpected header layout from wavefile');
  if (dataBytes > 0xffffffff - 36) throw new RangeError(`wavHeader: ${frames} frames do not fit in a WAV file`);
  header.writeUInt32LE(36 + dataBytes, 4);
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** Little-endian float32 bytes as samples, NaN/Inf -> 0: one copy on little-endian machines (session layers, captures). */
export function float32FromBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(Math.floor(bytes.length / 4));
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 4));
    for (let i = 0; i < out.length; i++) if (out[i] - out[i] !== 0) out[i] = 0;
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = finiteOrZero(view.getFloat32(4 * i, true));
  }
  return out;
}

/** float32 samples as WAV data bytes (little endian): a view, no copy, on little-endian machines. */
export function float32Bytes(data: Float32Array): Uint8Array {
  return LITTLE_ENDIAN ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : packFloat32(data);
}

/**
 * Writes the WAV to a temp file in the same folder, fsyncs it and renames it over `file`, so `file` is
 * either its old self or complete, never partial. On failure the temp file is removed and a WavError
 * thrown (RangeError for bad arguments, before anything touches the disk).
 */
export async function writeWavAtomic(file: string, data: Float32Array, channels: number, sampleRate: number, format: WavWriteFormat): Promise<void> {
  const bytes = encodeWav(data, channels, sampleRate, format);
  try {
    checkReplaceable(file);
    await writeFileAtomic(file, bytes);
  } catch (err) {
    throw writeError(file, err);
  }
}

/** writeWavAtomic for callers that may block (the CLI). */
export function writeWavAtomicSync(file: string, data: Float32Array, channels: number, sampleRate: number, format: WavWriteFormat): void {
  const bytes = encodeWav(data, channels, sampleRate, format);
  try {
    checkReplaceable(file);
    writeFileAtomicSync(file, bytes);
  } catch (err) {
    throw writeError(file, err);
  }
}

/**
 * A failed write of `file` (or folder) as a WavError: "disk full", "read-only file system", "<folder> is
 * read-only for this user", "the folder does not exist". `writable` probes a folder (tests inject one).
 */
export function writeError(file: string, err: unknown, writable: (dir: string) => boolean = isWritable): WavError {
  if (err instanceof PathProblem) return new WavError(file, err.problem, { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') {
    // a recursive mkdir under a read-only folder reports ENOENT: say what is really in the way
    const existing = nearestExisting(file);
    if (existing !== null && !writable(existing)) return new WavError(file, `cannot write: ${existing} is read-only for this user (permission denied)`, { cause: err });
  }
  return new WavError(file, fsProblem(err, WRITE_PROBLEMS, 'cannot write'), { cause: err });
}

/** The nearest folder at or above `p` that exists, or null. */
function nearestExisting(p: string): string | null {
  let at = path.resolve(p);
  for (;;) {
    try {
      if (fs.statSync(at).isDirectory()) return at;
    } catch {
      // not there: look above
    }
    const up = path.dirname(at);
    if (up === at) return null;
    at = up;
  }
}

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Samples as WAV data bytes in `format` (float32: a view on little-endian machines). */
export function sampleBytes(data: Float32Array, format: WavWriteFormat): Uint8Array {
  return format === 'float32' ? float32Bytes(data) : packInt16(data);
}

/**
 * A WAV written in blocks, for outputs too long to hold in memory (a render of an hour): the header
 * (the length is known up front) and then each block go to a temp file beside `file`, which is renamed
 * over it once complete, so `file` is either its old self or complete. Blocking, for the CLI. The bytes
 * are exactly what encodeWav writes for the whole data.
 */
export class WavFileWriter {
  private readonly tmp: string;
  private fd: number | null;
  private written = 0;

  constructor(readonly file: string, readonly frames: number, readonly sampleRate: number, readonly format: WavWriteFormat) {
    this.tmp = tempPath(file);
    try {
      checkReplaceable(file);
      this.fd = fs.openSync(this.tmp, 'wx');
      fs.writeSync(this.fd, wavHeader(frames, 2, sampleRate, format));
    } catch (err) {
      this.fd = null;
      this.abort();
      throw writeError(file, err);
    }
  }

  /** Appends interleaved stereo frames. */
  write(block: Float32Array): void {
    try {
      const bytes = sampleBytes(block, this.format);
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(this.fd as number, bytes, off, bytes.length - off);
      this.written += block.length / 2;
    } catch (err) {
      this.abort();
      throw writeError(this.file, err);
    }
  }

  /** fsyncs and renames into place (refusing, at the last moment too, to replace anything but a regular file). */
  commit(): void {
    if (this.written !== this.frames) throw new Error(`WavFileWriter: ${this.written} of ${this.frames} frames written to ${this.file}`);
    try {
      fs.fsyncSync(this.fd as number);
      fs.closeSync(this.fd as number);
      this.fd = null;
      checkReplaceable(this.file);
      fs.renameSync(this.tmp, this.file);
    } catch (err) {
      this.abort();
      throw writeError(this.file, err);
    }
    syncDirSync(path.dirname(this.file));
  }

  abort(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.tmp, { force: true });
  }
}

/** Validates the header and returns the samples, interleaved, at the file's rate and channel count. */
function parse(file: string, bytes: Buffer, wantChannels?: number): { samples: Float32Array; channels: number; rate: number; format: WavSampleFormat } {
  const fail = (problem: string, cause?: unknown): WavError => new WavError(file, problem, { cause });
  if (bytes.length === 0) throw fail(`empty file; ${EXPECTED}`);
  const container = bytes.toString('latin1', 0, 4);
  if (container === 'RF64') throw fail(`RF64 (64-bit WAV) is not supported; ${EXPECTED}`);
  if (bytes.length < 12 || (container !== 'RIFF' && container !== 'RIFX')) throw fail(`not a WAV file (no RIFF header); ${EXPECTED}`);
  const riffType = bytes.toString('latin1', 8, 12);
  if (riffType !== 'WAVE') throw fail(`not a WAV file (RIFF type ${JSON.stringify(riffType)}); ${EXPECTED}`);

  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw fail(`broken WAV structure (${oneLine(err)}); ${EXPECTED}`, err);
  }
  const fmt = wav.fmt as FmtChunk;
  const data = wav.data as DataChunk;
  if (!(fmt.chunkSize >= 16)) throw fail('broken header: "fmt " chunk shorter than 16 bytes');
  const code = fmt.audioFormat === EXTENSIBLE ? fmt.subformat[0] ?? EXTENSIBLE : fmt.audioFormat;
  if (code !== 1 && code !== 3) throw fail(`unsupported encoding: ${CODEC_NAMES[code] ?? `format code ${code}`}; ${EXPECTED}`);
  const channels = fmt.numChannels;
  if (channels === 0) throw fail('broken header: 0 channels; accepted: mono or stereo');
  if (wantChannels !== undefined && channels !== wantChannels) throw fail(`${channels} channel(s); accepted: exactly ${wantChannels} (the input's channel count)`);
  if (wantChannels === undefined && channels > 2) throw fail(`unsupported format: ${channels} channels; accepted: mono or stereo`);
  const rate = fmt.sampleRate;
  if (rate === 0) throw fail(`broken header: sample rate 0; accepted: ${MIN_RATE} to ${MAX_RATE} Hz`);
  if (rate < MIN_RATE || rate > MAX_RATE) throw fail(`unsupported sample rate: ${rate} Hz; accepted: ${MIN_RATE} to ${MAX_RATE} Hz`);
  const bits = fmt.bitsPerSample;
  const format = sampleFormat(code === 3, bits);
  if (!format) throw fail(`unsupported format: ${code === 3 ? 'float' : 'PCM'} ${bits}-bit; ${EXPECTED}`);
  const frameBytes = channels * BYTES_PER_SAMPLE[format];
  if (fmt.blockAlign !== frameBytes) throw fail(`broken header: block align ${fmt.blockAlign}, expected ${frameBytes} for ${channels} channel(s) of ${bits}-bit`);
  if (data.samples.length < data.chunkSize) {
    throw fail(`truncated data chunk: the header declares ${data.chunkSize} bytes, the file holds ${data.samples.length}`);
  }
  const pcm = data.samples.subarray(0, data.chunkSize - (data.chunkSize % frameBytes));
  return { samples: decode(pcm, format, container === 'RIFF'), channels, rate, format };
}

function sampleFormat(float: boolean, bits: number): WavSampleFormat | undefined {
  if (float) return bits === 32 ? 'float32' : bits === 64 ? 'float64' : undefined;
  return bits === 8 ? 'pcm8' : bits === 16 ? 'pcm16' : bits === 24 ? 'pcm24' : bits === 32 ? 'pcm32' : undefined;
}

function decode(pcm: Uint8Array, format: WavSampleFormat, littleEndian: boolean): Float32Array {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const out = new Float32Array(pcm.length / BYTES_PER_SAMPLE[format]);
  const n = out.length;
  switch (format) {
    case 'pcm8':
      for (let i = 0; i < n; i++) out[i] = (pcm[i] - 128) / 128;
      break;
    case 'pcm16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, littleEndian) / 32768;
      break;
    case 'pcm24':
      for (let i = 0, o = 0; i < n; i++, o += 3) {
        const [low, high] = littleEndian ? [pcm[o], pcm[o + 2]] : [pcm[o + 2], pcm[o]];
        out[i] = (((high << 24) >> 8) | (pcm[o + 1] << 8) | low) / 8388608;
      }
      break;
    case 'pcm32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, littleEndian) / 2147483648;
      break;
    case 'float32':
      if (littleEndian) return float32FromBytes(pcm);
      for (let i = 0; i < n; i++) out[i] = finiteOrZero(view.getFloat32(4 * i, false));
      break;
    case 'float64':
      for (let i = 0; i < n; i++) out[i] = finiteOrZero(view.getFloat64(8 * i, littleEndian));
      break;
  }
  return out;
}

function finiteOrZero(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

function monoToStereo(mono: Float32Array): Float32Array {
  const out = new Float32Array(mono.length * 2);
  for (let i = 0; i < mono.length; i++) out[2 * i] = out[2 * i + 1] = mono[i];
  return out;
}

function packFloat32(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

function packInt16(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    view.setInt16(2 * i, x !== x ? 0 : Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true);
  }
  return out;
}

function fsProblem(err: unknown, problems: Record<string, string>, verb: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  return problems[code ?? ''] ?? `${verb} (${code ?? oneLine(err)})`;
}

function oneLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).replace(/\s+/g, ' ').trim();
}
