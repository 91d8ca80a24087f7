import fs from 'fs';
import path from 'path';

// Loads the audio bridge (native/bridge/bridge.c, built against the system's PortAudio at install or
// by `loopstation build-audio`): one full-duplex PortAudio stream whose callback only moves float32
// frames through the rings of lib/io/ring.ts. It is the engine host's first choice; naudiodon's stream
// path is the fallback where it did not build.

export interface BridgeDeviceInfo {
  id: number;
  name: string;
  hostAPI: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  defaultLowInputLatency: number;
  defaultLowOutputLatency: number;
  defaultHighInputLatency: number;
  defaultHighOutputLatency: number;
  /** the default device of its host API */
  isDefaultInput: boolean;
  isDefaultOutput: boolean;
  /** its host API is PortAudio's default one (ALSA on Linux) */
  isDefaultHostAPI: boolean;
}

export interface BridgeOpenOptions {
  header: Int32Array;
  inRing: Float32Array;
  outRing: Float32Array;
  inChannels: number;
  outChannels: number;
  sampleRate: number;
  framesPerBuffer: number;
  inputDevice?: number;
  outputDevice?: number;
  /** the device buffer PortAudio is asked for, in seconds (default: the device's low latency) */
  inputLatency?: number;
  outputLatency?: number;
  /**
   * 1: one stream per direction (the input's callback wakes the engine), for devices whose full-duplex
   * callback misbehaves: PortAudio's ALSA full duplex over a sound server's plugin busy-polls
   */
  split?: number;
  /** 1: no device; tick() plays the callback (tests) */
  virtual?: number;
}

/** An open stream; PortAudio's latencies in seconds (0 for a virtual bridge). */
export interface BridgeHandle {
  readonly inputLatency: number;
  readonly outputLatency: number;
  readonly sampleRate: number;
}

export interface BridgeNative {
  readonly portaudioVersion: string;
  readonly headerSlots: number;
  devices(): BridgeDeviceInfo[];
  open(options: BridgeOpenOptions): BridgeHandle;
  start(handle: BridgeHandle): void;
  close(handle: BridgeHandle): void;
  active(handle: BridgeHandle): boolean;
  /** Blocks the calling thread until a callback ran since the last wait (true) or timeoutMs passed (false). */
  wait(handle: BridgeHandle, timeoutMs: number): boolean;
  /**
   * One callback of a virtual bridge. paceAt: false, or the wall-clock time (µs, on the caller's clock)
   * at which the callback runs: it is then paced as a device callback is, on that clock, and returns
   * the time (µs) it would sleep until instead of sleeping (paceAt itself when it would not sleep).
   */
  tick(handle: BridgeHandle, input: Float32Array, output: Float32Array, statusFlags: number, paceAt: false | number): number | undefined;
}

/** PortAudio's callback status flags (portaudio.h). */
export const PA_STATUS = { inputUnderflow: 1, inputOverflow: 2, outputUnderflow: 4, outputOverflow: 8 } as const;

/** Where the build leaves the bridge; LOOPSTATION_BRIDGE_BINDING overrides it (tests that hide it set '-'). */
export function bridgeBindingPath(): string {
  return process.env.LOOPSTATION_BRIDGE_BINDING || path.join(__dirname, '..', '..', '..', 'native', 'bridge', 'build', 'Release', 'loopstation_bridge.node');
}

let loaded: BridgeNative | undefined;
let failure: string | undefined;

/** The bridge, or why it does not load (not built, or built for another Node or machine). Loads once. */
export function loadBridge(): { bridge: BridgeNative } | { reason: string } {
  if (loaded) return { bridge: loaded };
  if (failure) return { reason: failure };
  const file = bridgeBindingPath();
  if (!fs.existsSync(file)) {
    failure = `the audio bridge is not built (${file} is missing)`;
    return { reason: failure };
  }
  try {
    loaded = require(file) as BridgeNative;
    return { bridge: loaded };
  } catch (err) {
    failure = `the audio bridge does not load: ${String((err as Error).message).split('\n')[0]}`;
    return { reason: failure };
  }
}
