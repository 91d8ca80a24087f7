import { EventEmitter } from 'events';
import { performance } from 'perf_hooks';
import { BridgeHandle, BridgeNative } from './bridge';
import { AudioDriver, BlockRenderer, DriverOptions, resolveDriverDevices, XrunReport } from './drivers';
import { AudioDevice, CloseResult, listDevices } from './portaudio';
import { BridgeRings, powerOfTwoAtLeast, XrunCounts } from './ring';

// The PortAudio device through the callback bridge (native/bridge/bridge.c, lib/io/ring.ts). The host
// runs on a worker thread of its own; this driver turns that thread into the engine's audio thread:
// it blocks in the bridge's wait() until the device callback has run, renders every whole block the
// input ring holds into the output ring, and gives its event loop one turn (commands, sessions, timers)
// before it waits again. It never waits on a promise or the libuv threadpool, and allocates nothing
// per block (the interval timer re-arms itself; the rings and the engine's buffers are preallocated).

export interface BridgeDriverOptions extends DriverOptions {
  /** a device name, "hostapi:name" or id ('' = the default device) */
  inputDevice: string;
  outputDevice: string;
  /**
   * Periods of output queued ahead of the device: how late the engine may be before a dropout. One is
   * the render deadline itself; the second absorbs the wake-up jitter of a thread that is not realtime.
   */
  slackPeriods: number;
}

/** How long one wait() may block before the driver looks at the device's health. */
const WAIT_MS = 100;
/** No callback within this of starting: the device does not run. */
const FIRST_CALLBACK_TIMEOUT_MS = 5000;
/** No callback for this long once running: the device is gone. */
const STALL_TIMEOUT_MS = 1000;
/** The input ring holds this much (rounded up to a power of two): a stall shorter than this loses nothing. */
const RING_SECONDS = 0.5;
/** Blocks rendered back to back before the event loop gets a turn, when the engine fell behind. */
const MAX_BLOCKS_PER_TURN = 8;

/** The stream's delay, as PortAudio reports it plus the bridge's own slack. */
export interface StreamLatency {
  inputSeconds: number;
  outputSeconds: number;
  slackFrames: number;
  /** input + output + slack, in frames: what a loopback round trip should come close to */
  totalFrames: number;
}

export class BridgeDriver extends EventEmitter implements AudioDriver {
  readonly backend = 'portaudio' as const;
  readonly inputDevice: string;
  readonly outputDevice: string;
  readonly defaultSoundDelayFrames: number;
  readonly latency: StreamLatency;
  private readonly rings: BridgeRings;
  private readonly handle: BridgeHandle;
  private readonly blockFrames: number;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private startedAt = 0;
  private lastCallbacks = 0;
  /** when callbacks stopped coming (-1: they come) */
  private quietSince = -1;
  private firstCallback: { resolve(): void; reject(err: Error): void } | undefined;
  private unpacedReported = false;
  private readonly seen: XrunCounts = { inputOverflow: 0, outputUnderflow: 0, engineLate: 0, ringFull: 0 };
  private readonly now: XrunCounts = { inputOverflow: 0, outputUnderflow: 0, engineLate: 0, ringFull: 0 };

  constructor(
    private readonly native: BridgeNative,
    options: BridgeDriverOptions,
    private readonly renderer: BlockRenderer,
  ) {
    super();
    const { sampleRate, blockFrames } = options;
    this.blockFrames = blockFrames;
    const devices = options.devices ?? listDevices();
    // the device's channels are the engine's: the rings copy them as they are
    const { inDev, outDev, inChannels, outChannels } = resolveDriverDevices(options, devices);
    this.inputDevice = inDev.spec;
    this.outputDevice = outDev.spec;
    // one full-duplex stream where PortAudio drives both sides from one clock (hardware, JACK); a stream
    // per side for a sound server's plugin, where the full-duplex callback thread spun at 70-80% of a core
    // polling both (VM-2026-11, PulseAudio 16), and for two devices with two clocks
    const split = throughSoundServer(inDev) || throughSoundServer(outDev) || inDev.id !== outDev.id;
    const capacityFrames = powerOfTwoAtLeast(Math.max(RING_SECONDS * sampleRate, 4 * (options.slackPeriods + 1) * blockFrames));
    this.rings = new BridgeRings({ inChannels, outChannels, capacityFrames, engineInChannels: inChannels, engineOutChannels: outChannels });
    this.handle = native.open({
      header: this.rings.header,
      inRing: this.rings.inRing,
      outRing: this.rings.outRing,
      inChannels,
      outChannels,
      sampleRate,
      framesPerBuffer: blockFrames,
      inputDevice: inDev.id,
      outputDevice: outDev.id,
      inputLatency: throughSoundServer(inDev) ? inDev.latency?.highInput : undefined,
      outputLatency: throughSoundServer(outDev) ? outDev.latency?.highOutput : undefined,
      split: split ? 1 : 0,
    });
    const inputFrames = Math.round(this.handle.inputLatency * sampleRate);
    const outputFrames = Math.round(this.handle.outputLatency * sampleRate);
    // split, the input arrives in bursts of its own buffer, out of step with the output's requests: the
    // headroom covers a burst too (PulseAudio, 18 s each, busy machine: 3 xruns without it, 0 with it)
    const slackFrames = options.slackPeriods * blockFrames + (split ? inputFrames : 0);
    this.rings.prefillOutput(slackFrames);
    this.latency = {
      inputSeconds: this.handle.inputLatency,
      outputSeconds: this.handle.outputLatency,
      slackFrames,
      totalFrames: inputFrames + outputFrames + slackFrames,
    };
    // rendered at the input's block, heard after the slack and the device's output latency
    this.defaultSoundDelayFrames = slackFrames + outputFrames;
  }

  /** Resolves at the first callback (the device runs), rejects when none comes. */
  start(): Promise<void> {
    const first = new Promise<void>((resolve, reject) => (this.firstCallback = { resolve, reject }));
    this.native.start(this.handle);
    this.startedAt = performance.now();
    // an interval of 1 ms re-arms the same timer: no allocation per turn; the wait inside does the pacing
    this.timer = setInterval(this.turn, 1);
    return first;
  }

  close(): Promise<CloseResult> {
    if (!this.closing) {
      this.closing = true;
      clearInterval(this.timer);
      this.native.close(this.handle);
      this.firstCallback?.reject(new Error('the stream was closed before the device ran'));
      this.firstCallback = undefined;
    }
    return Promise.resolve('closed');
  }

  /** One turn of the audio thread: wait for the device, render what it brought, report, look at its health. */
  private readonly turn = (): void => {
    if (this.closing) return;
    const woke = this.native.wait(this.handle, WAIT_MS);
    if (this.closing) return;
    this.renderReady();
    this.reportXruns();
    // the clock is read only when no callback came: a block that ran costs no clock read
    if (woke && !this.firstCallback) this.quietSince = -1;
    else this.watch();
  };

  private renderReady(): void {
    const rings = this.rings;
    const frames = this.blockFrames;
    const input = this.renderer.floatInput;
    const output = this.renderer.floatOutput;
    for (let n = 0; n < MAX_BLOCKS_PER_TURN; n++) {
      let silent: boolean;
      if (rings.inputAvailable() >= frames) {
        rings.readInput(input, frames);
        silent = false;
      } else if (rings.takeDroppedInput(frames) > 0) {
        // input the device delivered while the ring was full: keep the engine on the device's frame count
        silent = true;
      } else return;
      this.renderer.renderFloat(silent);
      rings.writeOutput(output, frames);
    }
  }

  private reportXruns(): void {
    const now = this.rings.xruns(this.now);
    const seen = this.seen;
    if (now.inputOverflow !== seen.inputOverflow) this.xrun('device', 'input', 'the device input overflowed');
    if (now.outputUnderflow !== seen.outputUnderflow) this.xrun('device', 'output', 'the device output underflowed');
    if (now.engineLate !== seen.engineLate) this.xrun('host', 'output', 'the engine was late: silence was played');
    if (now.ringFull !== seen.ringFull) this.xrun('host', 'input', 'the engine stalled: input was dropped');
    seen.inputOverflow = now.inputOverflow;
    seen.outputUnderflow = now.outputUnderflow;
    seen.engineLate = now.engineLate;
    seen.ringFull = now.ringFull;
    if (!this.unpacedReported && this.rings.unpaced()) {
      this.unpacedReported = true;
      this.emit('notice', 'the device takes audio faster than real time (no clock, like ALSA\'s null device): the host paces itself');
    }
  }

  private xrun(source: XrunReport['source'], side: XrunReport['side'], what: string): void {
    this.emit('xrun', { source, side, what } satisfies XrunReport);
  }

  /** The device's health, looked at when a wait ended without a callback (and until the first one). */
  private watch(): void {
    const t = performance.now();
    const callbacks = this.rings.callbacks();
    if (callbacks !== this.lastCallbacks) {
      this.lastCallbacks = callbacks;
      this.quietSince = -1;
      if (this.firstCallback) {
        this.firstCallback.resolve();
        this.firstCallback = undefined;
      }
      return;
    }
    if (this.firstCallback) {
      if (t - this.startedAt > FIRST_CALLBACK_TIMEOUT_MS) this.fault(new Error(`the device "${this.outputDevice}" did not start within ${FIRST_CALLBACK_TIMEOUT_MS} ms`));
      return;
    }
    if (this.quietSince < 0) this.quietSince = t - WAIT_MS;
    if (!this.native.active(this.handle)) this.fault(new Error(`the stream of "${this.inputDevice}" -> "${this.outputDevice}" stopped: the device went away`));
    else if (t - this.quietSince > STALL_TIMEOUT_MS) {
      this.fault(new Error(`the device "${this.outputDevice}" ran no callback for ${Math.round(t - this.quietSince)} ms: it was unplugged or stopped`));
    }
  }

  private fault(err: Error): void {
    if (this.closing) return;
    const first = this.firstCallback;
    this.firstCallback = undefined;
    void this.close();
    if (first) first.reject(err);
    else this.emit('fault', err);
  }
}

/**
 * ALSA's plugin devices that feed a sound server (PulseAudio, PipeWire, a JACK bridge, dmix). A small
 * buffer there underflows on a busy machine and the server then grows its own latency for good (the
 * round trip moved from 1500 to 6800 frames within a second here), so these get PortAudio's "high"
 * latency; hardware (hw:, a USB interface) and JACK's own host API keep the low one.
 */
function throughSoundServer(d: AudioDevice): boolean {
  return d.hostAPI === 'ALSA' && /^(default|sysdefault|pulse|pipewire|jack|dmix)$/.test(d.name);
}
