import { EventEmitter } from 'events';
import { performance } from 'perf_hooks';
import { NullBackend } from './null-backend';
import {
  AudioDevice, CloseResult, DeviceSpec, naudiodonDevices, openInput, openOutput, PortAudioStream, resolveDevice,
} from './portaudio';
import type { BackendName, XrunSource } from './protocol';

// What drives the engine host's blocks: a PortAudio device pair, or the paced null backend. Both call
// the host's renderBlock once per block; they differ in where input comes from and where output goes.
// Runs in the host process only (naudiodon prints to stdout, see portaudio.ts).
//
// Events: 'fault' (Error): the device went away or the stream broke; the host closes this driver and
// opens a new one, keeping the engine. 'xrun' (XrunReport): audio was lost: the null driver's block came
// late, the stream path dropped output blocks because the device was behind, or (bridge) the device
// reported an under/overflow or the engine was late. 'notice' (string): something the user should know.

/** Audio lost, and where: the device (PortAudio's status) or the host (late or stalled), on which side. */
export interface XrunReport {
  source: XrunSource;
  side?: 'input' | 'output';
  what: string;
}

/** The host's per-block work, on the engine's own buffers (one block, interleaved: the channel counts of DriverOptions). */
export interface BlockRenderer {
  /** int16 in (null = silence), the engine's int16 output view out: naudiodon's stream path */
  renderInt16(input: Buffer | null): Int16Array;
  /** float32: the driver wrote the block's input into floatInput (or nothing: silence), the output is in floatOutput */
  renderFloat(silentInput: boolean): void;
  readonly floatInput: Float32Array;
  readonly floatOutput: Float32Array;
}

export interface AudioDriver extends EventEmitter {
  readonly backend: BackendName;
  readonly inputDevice: string;
  readonly outputDevice: string;
  /** Frames from rendering a frame to hearing it, when nothing was measured (see Host.soundDelayFrames). */
  readonly defaultSoundDelayFrames: number;
  /** Resolves once blocks flow (PortAudio: the first input block arrived). */
  start(): Promise<void>;
  /** Stops calling renderBlock at once; never waits longer than the stream close timeout. */
  close(): Promise<CloseResult>;
}

export interface DriverOptions {
  sampleRate: number;
  blockFrames: number;
  /** the devices as just listed, when the caller has that list (else the driver lists them) */
  devices?: AudioDevice[];
  /** channels opened on the input and the output device (default 2 and 2): the engine's own counts */
  inputChannels?: number;
  outputChannels?: number;
}

/** No device: silence in, output dropped, paced in real time (NullBackend: no drift, late blocks reported). */
export class NullDriver extends EventEmitter implements AudioDriver {
  readonly backend = 'null' as const;
  readonly inputDevice = '';
  readonly outputDevice = '';
  /** the block rendered at tick n sounds during the next block period */
  readonly defaultSoundDelayFrames: number;
  private readonly pacer: NullBackend;

  constructor(options: DriverOptions, renderer: BlockRenderer) {
    super();
    this.defaultSoundDelayFrames = options.blockFrames;
    this.pacer = new NullBackend({
      sampleRate: options.sampleRate,
      framesPerBuffer: options.blockFrames,
      process: () => renderer.renderFloat(true),
      onXrun: () => this.emit('xrun', { source: 'host', side: 'output', what: 'a block came late' } satisfies XrunReport),
    });
  }

  start(): Promise<void> {
    this.pacer.start();
    return Promise.resolve();
  }

  close(): Promise<CloseResult> {
    this.pacer.stop();
    return Promise.resolve('closed');
  }
}

export interface PortAudioDriverOptions extends DriverOptions {
  /** a device name or id ('' = the default device) */
  inputDevice: string;
  outputDevice: string;
  prefillBuffers: number;
}

/** '' = the default device; digits = a PortAudio id (validated like a name: never a silent fallback). */
export function deviceSpecOf(text: string): DeviceSpec | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
}

/**
 * The input and output devices a PortAudio driver opens, each resolved for the channel count it is
 * asked for (2 unless the options say): a device with fewer is an error naming its counts.
 */
export function resolveDriverDevices(
  options: DriverOptions & { inputDevice: string; outputDevice: string },
  devices: readonly AudioDevice[],
): { inDev: AudioDevice; outDev: AudioDevice; inChannels: number; outChannels: number } {
  const inChannels = options.inputChannels ?? 2;
  const outChannels = options.outputChannels ?? 2;
  return {
    inDev: resolveDevice(deviceSpecOf(options.inputDevice), 'input', inChannels, devices),
    outDev: resolveDevice(deviceSpecOf(options.outputDevice), 'output', outChannels, devices),
    inChannels,
    outChannels,
  };
}

/**
 * Output blocks naudiodon may hold beyond the prefill. Its queue is the output latency, and it only
 * grows: naudiodon's callback waits for data instead of playing silence, so after a stall the input's
 * backlog (up to its own queue of 16) would pile up here and stay, 85 ms at 256 frames. A small queue
 * bounds it; blocks that find it full are dropped (an xrun) so the latency comes back down.
 */
const OUTPUT_QUEUE_SLACK = 2;
const WATCHDOG_MS = 100;
/** No first block within this: the device does not deliver (measured: up to 2 s on PulseAudio). */
const FIRST_DATA_TIMEOUT_MS = 5000;
/** No block in or out for this long once running: the device is gone. */
const STALL_TIMEOUT_MS = 1000;

/**
 * A PortAudio input stream and output stream (separate: one duplex stream glitched in 11 of 12 runs
 * here, docs/audio.md). Each input block renders one output block, so both directions share
 * the engine's frame count and the round trip is constant once running (measured by calibration).
 */
export class PortAudioDriver extends EventEmitter implements AudioDriver {
  readonly backend = 'portaudio' as const;
  readonly inputDevice: string;
  readonly outputDevice: string;
  /** a middle guess between the round trips measured here (259..1024 frames at 256): calibrate to know */
  readonly defaultSoundDelayFrames: number;
  private readonly input: PortAudioStream;
  private readonly output: PortAudioStream;
  /** output buffers not in flight: a write keeps its buffer until naudiodon has copied it */
  private readonly pool: Buffer[] = [];
  /** when each write in flight was made, oldest first */
  private readonly writesInFlight: number[] = [];
  private dropping = false;
  private watchdog: NodeJS.Timeout | undefined;
  private closing = false;
  private firstDataAt = -1;
  private lastDataAt = 0;
  private outView: Buffer | undefined;
  private startedAt = 0;
  private lastCheckAt = 0;
  private firstData: { resolve(): void; reject(err: Error): void } | undefined;

  constructor(options: PortAudioDriverOptions, private readonly renderer: BlockRenderer) {
    super();
    const { sampleRate, blockFrames } = options;
    this.defaultSoundDelayFrames = 2 * blockFrames;
    const devices = options.devices ?? naudiodonDevices();
    const { inDev, outDev, inChannels, outChannels } = resolveDriverDevices(options, devices);
    this.inputDevice = inDev.name;
    this.outputDevice = outDev.name;
    const common = { sampleRate, framesPerBuffer: blockFrames };
    this.output = openOutput({
      ...common,
      channels: outChannels,
      device: outDev.id,
      prefillBuffers: options.prefillBuffers,
      maxQueue: Math.max(1, options.prefillBuffers) + OUTPUT_QUEUE_SLACK,
    });
    try {
      this.input = openInput({ ...common, channels: inChannels, device: inDev.id });
    } catch (err) {
      void this.output.close();
      throw err;
    }
    // a write is reported done a threadpool round trip after naudiodon queued it, which can take a few
    // blocks on a busy machine: only a queue's worth of writes in flight means the queue is really full
    for (let i = 0; i < this.output.options.maxQueue; i++) this.pool.push(Buffer.alloc(this.output.bytesPerBuffer));
    const fault = (what: string) => (err: Error) => this.fault(new Error(`${what} stream error: ${err.message}`));
    this.input.on('error', fault('input'));
    this.output.on('error', fault('output'));
  }

  async start(): Promise<void> {
    const firstData = new Promise<void>((resolve, reject) => (this.firstData = { resolve, reject }));
    // the output first, prefilled, then the input: measured cleaner here than starting the output at the
    // first input block (that kept its queue full, and the round trip crept up by hundreds of frames)
    await this.output.start();
    this.input.on('data', this.onData);
    await this.input.start();
    this.startedAt = this.lastCheckAt = performance.now();
    this.watchdog = setInterval(this.checkStall, WATCHDOG_MS);
    return firstData;
  }

  close(): Promise<CloseResult> {
    this.closing = true;
    clearInterval(this.watchdog);
    this.input.off('data', this.onData);
    this.firstData?.reject(new Error('the streams were closed before the first block arrived'));
    this.firstData = undefined;
    return Promise.all([this.input.close(), this.output.close()]).then((r) => (r.includes('timeout') ? 'timeout' : 'closed'));
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closing) return;
    const now = performance.now();
    if (chunk.length !== this.input.bytesPerBuffer) {
      // naudiodon sends a short chunk only when its input finishes: the device stopped
      this.fault(new Error(`the input delivered ${chunk.length} bytes instead of a block of ${this.input.bytesPerBuffer}: it stopped`));
      return;
    }
    if (this.firstDataAt < 0) {
      this.firstDataAt = now;
      this.firstData?.resolve();
      this.firstData = undefined;
    }
    this.lastDataAt = now;
    const out = this.renderer.renderInt16(chunk);
    this.write(out);
  };

  private write(out: Int16Array): void {
    const buf = this.pool.pop();
    if (!buf) {
      // a queue's worth of writes still in flight: the output is behind; this block is dropped (an xrun, once per episode)
      if (!this.dropping) {
        this.dropping = true;
        this.emit('xrun', { source: 'host', side: 'output', what: 'the output fell behind: a block was dropped' } satisfies XrunReport);
      }
      return;
    }
    this.dropping = false;
    const bytes = this.output.bytesPerBuffer;
    if (!this.outView || this.outView.buffer !== out.buffer || this.outView.byteOffset !== out.byteOffset) {
      this.outView = Buffer.from(out.buffer, out.byteOffset, bytes);
    }
    this.outView.copy(buf, 0, 0, bytes);
    this.writesInFlight.push(performance.now());
    this.output.write(buf, () => {
      this.writesInFlight.shift();
      this.pool.push(buf);
    });
  }

  private readonly checkStall = (): void => {
    const now = performance.now();
    const sinceCheck = now - this.lastCheckAt;
    this.lastCheckAt = now;
    // after a pause of our own event loop this timer runs before the input blocks that queued up
    // meanwhile: a stall is only the device's when the watchdog itself was on time
    if (sinceCheck > 2 * WATCHDOG_MS) return;
    if (this.firstDataAt < 0) {
      if (now - this.startedAt > FIRST_DATA_TIMEOUT_MS) {
        this.fault(new Error(`no audio from the input device "${this.inputDevice}" within ${FIRST_DATA_TIMEOUT_MS} ms of starting`));
      }
      return;
    }
    const limit = STALL_TIMEOUT_MS;
    if (now - this.lastDataAt > limit) {
      this.fault(new Error(`the input device "${this.inputDevice}" delivered nothing for ${Math.round(now - this.lastDataAt)} ms: it was unplugged or stopped`));
    } else if (this.writesInFlight.length > 0 && now - this.writesInFlight[0] > limit) {
      this.fault(new Error(`the output device "${this.outputDevice}" took no audio for ${Math.round(now - this.writesInFlight[0])} ms: it was unplugged or stopped`));
    }
  };

  private fault(err: Error): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.watchdog);
    if (this.firstData) {
      this.firstData.reject(err);
      this.firstData = undefined;
      return;
    }
    this.emit('fault', err);
  }
}
