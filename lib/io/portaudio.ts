// A thin, typed wrapper around naudiodon (PortAudio). It runs only inside the engine host, a child
// process whose stdio the parent pipes: naudiodon prints from C to stdout (options dumps, "AudioIO:
// portAudio status" xrun lines) and ALSA probing writes to stderr. See docs/audio.md for the
// measured behaviour every choice here follows; docs/audio.md has the numbers.

import { EventEmitter } from 'events';
import fs from 'fs';
import Module from 'module';
import path from 'path';
import type { Duplex, Readable, Writable } from 'stream';
import { BridgeNative, loadBridge } from './bridge';
import { audioIO, NaudiodonNative } from './naudiodon-native';
import { EXIT, UserError } from '../errors';

/** int16 interleaved at the device; the engine is float32 and the host converts with clamping. */
export const BYTES_PER_SAMPLE = 2;
const SAMPLE_FORMAT_INT16 = 16;
const PA_NO_DEVICE = 0xffffffff;

/** What naudiodon exports, declared here because it is an optional dependency (absent types must not break tsc). */
interface NaudiodonDeviceInfo {
  id: number;
  name: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
}
interface NaudiodonHostApis {
  defaultHostAPI: number;
  HostAPIs: { id: number; name: string; defaultInput: number; defaultOutput: number }[];
}
interface NaudiodonStreamOptions {
  deviceId: number;
  sampleRate: number;
  channelCount: number;
  sampleFormat: number;
  framesPerBuffer: number;
  maxQueue: number;
  highwaterMark: number;
  closeOnError: boolean;
}
type NaudiodonStream = (Readable | Writable | Duplex) & { start(): void; quit(cb?: () => void): Promise<void> };
interface Naudiodon {
  getDevices(): NaudiodonDeviceInfo[];
  getHostAPIs(): NaudiodonHostApis;
  AudioIO(options: { inOptions?: NaudiodonStreamOptions; outOptions?: NaudiodonStreamOptions }): NaudiodonStream;
}

/** What to do when no binding loads: the same words in the host's notice, the CLI and the README. */
export const PORTAUDIO_INSTALL_HINT =
  'to get sound, install PortAudio and build the binding: apt install libportaudio2 portaudio19-dev libasound2-dev, then npx loopstation build-audio';
/** What to do when only naudiodon's stream path loads: the callback bridge costs about half the CPU and survives a busy machine. */
export const BRIDGE_INSTALL_HINT =
  'for the callback audio bridge (less CPU, no dropouts on a busy machine, JACK): apt install libportaudio2 portaudio19-dev build-essential, then npx loopstation build-audio';

export class PortAudioUnavailableError extends UserError {
  constructor(readonly reasons: { bridge?: string; naudiodon: string; ownBuild: string }) {
    super(`no PortAudio binding loads (naudiodon: ${reasons.naudiodon}; own build: ${reasons.ownBuild}); ${PORTAUDIO_INSTALL_HINT}`, EXIT.unavailable);
    this.name = 'PortAudioUnavailableError';
  }
}

export class DeviceNotFoundError extends UserError {
  constructor(message: string, readonly available: readonly AudioDevice[]) {
    super(`${message}; available: ${available.length ? available.map(describeDevice).join(', ') : 'none'}`, EXIT.unavailable);
    this.name = 'DeviceNotFoundError';
  }
}

/**
 * Where `loopstation build-audio` (scripts/build-portaudio-binding.js) leaves the binding it compiles
 * from naudiodon's sources against the system's PortAudio; LOOPSTATION_PORTAUDIO_BINDING overrides it.
 */
export function ownBindingPath(): string {
  return process.env.LOOPSTATION_PORTAUDIO_BINDING || path.join(__dirname, '..', '..', '..', 'native', 'build', 'Release', 'naudiodon.node');
}

/**
 * Which binding runs: the callback bridge (native/bridge), else naudiodon's stream path: the naudiodon
 * package, or our own build of it against the system's PortAudio.
 */
export type PortAudioBinding = 'bridge' | 'naudiodon' | 'own build';

/**
 * The callback bridge when it loads and LOOPSTATION_AUDIO_PATH does not ask for naudiodon's stream path
 * (kept for comparisons and as an escape hatch); else undefined, with why in `reason`.
 */
export function bridgeChoice(): { bridge: BridgeNative } | { reason: string } {
  if (process.env.LOOPSTATION_AUDIO_PATH === 'naudiodon') return { reason: 'LOOPSTATION_AUDIO_PATH=naudiodon asks for the stream path' };
  return loadBridge();
}

/** The binding the host's devices and streams go through: the bridge first, then naudiodon's stream path. */
export function activeBinding(): PortAudioBinding {
  const choice = bridgeChoice();
  if ('bridge' in choice) return 'bridge';
  try {
    return loadBinding().binding;
  } catch (err) {
    if (err instanceof PortAudioUnavailableError) err.reasons.bridge = choice.reason;
    throw err;
  }
}

let loaded: { api: Naudiodon; binding: Exclude<PortAudioBinding, 'bridge'> } | undefined;
let loadError: PortAudioUnavailableError | undefined;

const firstLine = (err: unknown): string => String((err as Error)?.message ?? err).split('\n')[0];

/**
 * Loads a PortAudio binding once: the naudiodon package (with segfault-handler stubbed: the real one
 * writes crash.log into the cwd and turns a recoverable Wasm trap into a process crash), else our own
 * build of it. Throws PortAudioUnavailableError saying why neither loads and what to install.
 */
export function loadNaudiodon(): Naudiodon {
  return loadBinding().api;
}

export function loadBinding(): { api: Naudiodon; binding: Exclude<PortAudioBinding, 'bridge'> } {
  if (loaded) return loaded;
  if (loadError) throw loadError;
  let naudiodonReason: string;
  const mod = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
  const realLoad = mod._load;
  mod._load = function (request, parent, isMain) {
    if (request === 'segfault-handler') return { registerHandler() {} };
    return realLoad.call(this, request, parent, isMain);
  };
  try {
    loaded = { api: require('naudiodon') as Naudiodon, binding: 'naudiodon' };
    return loaded;
  } catch (err) {
    naudiodonReason = firstLine(err);
  } finally {
    mod._load = realLoad;
  }
  const own = ownBindingPath();
  let ownReason: string;
  if (!fs.existsSync(own)) {
    ownReason = `not built (${own} is missing)`;
  } else {
    try {
      const native = require(own) as NaudiodonNative;
      const api: Naudiodon = {
        getDevices: () => native.getDevices() as NaudiodonDeviceInfo[],
        getHostAPIs: () => native.getHostAPIs() as NaudiodonHostApis,
        AudioIO: (options) => audioIO(native, options) as NaudiodonStream,
      };
      loaded = { api, binding: 'own build' };
      return loaded;
    } catch (err) {
      ownReason = firstLine(err);
    }
  }
  loadError = new PortAudioUnavailableError({ naudiodon: naudiodonReason, ownBuild: ownReason });
  throw loadError;
}

export interface AudioDevice {
  /** PortAudio's index: valid only until devices change (a reboot, a USB replug). Prefer `spec`. */
  id: number;
  name: string;
  /** what to write in the settings to pick this device: its name, or "hostapi:name" where the name alone is ambiguous */
  spec: string;
  hostAPI: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  isDefaultInput: boolean;
  isDefaultOutput: boolean;
  /** PortAudio's suggested buffer, seconds, for live use (low) and for a sound server's plugin (high); bridge only */
  latency?: { lowInput: number; lowOutput: number; highInput: number; highOutput: number };
}

export type Direction = 'input' | 'output';
/** A device name (exact, then case-insensitive, then case-insensitive substring) or a PortAudio id. */
export type DeviceSpec = string | number;

/**
 * "jack:system" names the device "system" of the host API whose name starts with "jack" (case-insensitive):
 * the same name can exist under ALSA and JACK. A prefix that starts no host API's name is part of the
 * name (ALSA names hold colons: "USB Audio: - (hw:1,0)").
 */
export function splitHostApi(spec: string, devices: readonly AudioDevice[]): { api?: string; name: string } {
  const colon = spec.indexOf(':');
  if (colon <= 0) return { name: spec };
  const prefix = spec.slice(0, colon).trim().toLowerCase();
  const api = devices.find((d) => d.hostAPI.toLowerCase().startsWith(prefix))?.hostAPI;
  return api === undefined ? { name: spec } : { api, name: spec.slice(colon + 1).trim() };
}

export function describeDevice(d: AudioDevice): string {
  return `${d.id} "${d.name}" (${d.hostAPI}, ${d.maxInputChannels} in/${d.maxOutputChannels} out)`;
}

/**
 * Every device PortAudio sees now, through the active binding (the bridge's PortAudio has the JACK host
 * API too). Each call re-probes (ALSA writes its probe noise to stderr).
 */
export function listDevices(): AudioDevice[] {
  const choice = bridgeChoice();
  if ('bridge' in choice) {
    // a device is the default when it is the default of PortAudio's default host API (ALSA)
    return withSpecs(choice.bridge.devices().map((d) => ({
      id: d.id,
      name: d.name,
      hostAPI: d.hostAPI,
      maxInputChannels: d.maxInputChannels,
      maxOutputChannels: d.maxOutputChannels,
      defaultSampleRate: d.defaultSampleRate,
      isDefaultInput: d.isDefaultInput && d.isDefaultHostAPI,
      isDefaultOutput: d.isDefaultOutput && d.isDefaultHostAPI,
      latency: { lowInput: d.defaultLowInputLatency, lowOutput: d.defaultLowOutputLatency, highInput: d.defaultHighInputLatency, highOutput: d.defaultHighOutputLatency },
    })));
  }
  return naudiodonDevices();
}

/** Each device's spec: the name, qualified with the host API ("jack:system") where another API has the same name. */
function withSpecs(devices: Omit<AudioDevice, 'spec'>[]): AudioDevice[] {
  return devices.map((d) => ({
    ...d,
    spec: devices.filter((o) => o.name === d.name).length === 1 ? d.name : `${d.hostAPI.split(' ')[0].toLowerCase()}:${d.name}`,
  }));
}

/** The devices naudiodon's stream path sees (its ids are the ones its streams open). */
export function naudiodonDevices(): AudioDevice[] {
  const pa = loadNaudiodon();
  const hostApis = pa.getHostAPIs().HostAPIs;
  return withSpecs(pa.getDevices().map((d) => {
    const host = hostApis.find((h) => h.name === d.hostAPIName);
    return {
      id: d.id,
      name: d.name,
      hostAPI: d.hostAPIName,
      maxInputChannels: d.maxInputChannels,
      maxOutputChannels: d.maxOutputChannels,
      defaultSampleRate: d.defaultSampleRate,
      isDefaultInput: host !== undefined && host.defaultInput !== PA_NO_DEVICE && host.defaultInput === d.id,
      isDefaultOutput: host !== undefined && host.defaultOutput !== PA_NO_DEVICE && host.defaultOutput === d.id,
    };
  }));
}

/**
 * Finds the device `spec` names among `devices` for `direction` with at least `channels` channels.
 * `undefined` or '' means the default device of the default host API. Never falls back silently:
 * naudiodon itself opens the default device for an unknown id, so every id goes through here.
 */
export function resolveDevice(
  spec: DeviceSpec | undefined,
  direction: Direction,
  channels: number,
  devices: readonly AudioDevice[] = listDevices(),
): AudioDevice {
  const channelsOf = (d: AudioDevice) => (direction === 'input' ? d.maxInputChannels : d.maxOutputChannels);
  const usable = devices.filter((d) => channelsOf(d) >= channels);
  const what = `${direction} device with ${channels} channel${channels === 1 ? '' : 's'}`;
  // a device that is there but has too few channels is named with its counts
  const tooFew = (d: AudioDevice) =>
    new DeviceNotFoundError(`${describeDevice(d)} is not an ${what}: it has ${channelsOf(d)} ${direction} channel${channelsOf(d) === 1 ? '' : 's'}`, usable);
  if (spec === undefined || spec === '') {
    const def = usable.find((d) => (direction === 'input' ? d.isDefaultInput : d.isDefaultOutput));
    if (def) return def;
    const lacking = devices.find((d) => (direction === 'input' ? d.isDefaultInput : d.isDefaultOutput) && channelsOf(d) > 0);
    if (lacking) throw tooFew(lacking);
    throw new DeviceNotFoundError(`no default ${what}`, usable);
  }
  if (typeof spec === 'number') {
    const byId = devices.find((d) => d.id === spec);
    if (!byId) throw new DeviceNotFoundError(`no device with id ${spec}`, usable);
    if (channelsOf(byId) < channels) throw tooFew(byId);
    return byId;
  }
  const { api, name } = splitHostApi(spec, devices);
  const candidates = api === undefined ? usable : usable.filter((d) => d.hostAPI === api);
  const lower = name.toLowerCase();
  const matches =
    [
      candidates.filter((d) => d.name === name),
      candidates.filter((d) => d.name.toLowerCase() === lower),
      candidates.filter((d) => d.name.toLowerCase().includes(lower)),
    ].find((m) => m.length > 0) ?? [];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new DeviceNotFoundError(`"${spec}" matches ${matches.length} ${direction} devices, name one`, matches);
  }
  const named = devices.filter((d) => (api === undefined || d.hostAPI === api) && d.name.toLowerCase() === lower && channelsOf(d) > 0);
  if (named.length === 1) throw tooFew(named[0]);
  throw new DeviceNotFoundError(`no ${what} named "${spec}"`, usable);
}

export interface StreamOptions {
  sampleRate: number;
  /** Frames per block: the PortAudio buffer size and the size of every 'data' chunk. */
  framesPerBuffer: number;
  /** Interleaved channels; default 2. */
  channels?: number;
  /**
   * Blocks naudiodon may queue between its audio thread and JS, per direction; default 16. A full
   * input queue blocks the audio callback, so this is the slack for a late event loop.
   */
  maxQueue?: number;
}
export interface InputOptions extends StreamOptions {
  device?: DeviceSpec;
}
export interface OutputOptions extends StreamOptions {
  device?: DeviceSpec;
  /** Blocks of silence queued before start, so the first callbacks do not underflow; default 4. */
  prefillBuffers?: number;
}
export interface DuplexOptions extends StreamOptions {
  inputDevice?: DeviceSpec;
  outputDevice?: DeviceSpec;
  prefillBuffers?: number;
}

export type StreamKind = 'input' | 'output' | 'duplex';
/** 'timeout': naudiodon's quit never returned; its thread may be stuck, so the host should exit. */
export type CloseResult = 'closed' | 'timeout';

const DEFAULT_MAX_QUEUE = 16;
const DEFAULT_PREFILL = 4;
const DEFAULT_CLOSE_TIMEOUT_MS = 2000;

export interface PortAudioStream {
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'drain', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/**
 * One naudiodon stream. Input chunks arrive as 'data' (one block each, a fresh Buffer). write()
 * copies the chunk into naudiodon's queue once the stream takes it: until then do not reuse it.
 */
export class PortAudioStream extends EventEmitter {
  readonly bytesPerBuffer: number;
  private closing: Promise<CloseResult> | undefined;
  private started = false;

  constructor(
    readonly kind: StreamKind,
    readonly inputDevice: AudioDevice | undefined,
    readonly outputDevice: AudioDevice | undefined,
    readonly options: Readonly<Required<StreamOptions>> & { prefillBuffers: number },
    private readonly stream: NaudiodonStream,
  ) {
    super();
    this.bytesPerBuffer = options.framesPerBuffer * options.channels * BYTES_PER_SAMPLE;
    // naudiodon's own 'finish' handler quits a second time (and can hang); its 'error' handler
    // prints to stderr. Ours replace both.
    stream.removeAllListeners('finish');
    stream.removeAllListeners('error');
    stream.on('error', (err: unknown) => this.emit('error', err instanceof Error ? err : new Error(String(err))));
    stream.on('drain', () => this.emit('drain'));
  }

  get hasInput(): boolean {
    return this.kind !== 'output';
  }
  get hasOutput(): boolean {
    return this.kind !== 'input';
  }

  /** Queues the prefill silence, waits until naudiodon holds it, then starts PortAudio. */
  async start(): Promise<void> {
    if (this.started || this.closing) throw new Error(`${this.kind} stream already started or closed`);
    this.started = true;
    if (this.hasOutput) {
      const silence = Buffer.alloc(this.bytesPerBuffer);
      const writable = this.stream as Writable;
      await Promise.all(
        Array.from(
          { length: this.options.prefillBuffers },
          () => new Promise<void>((resolve, reject) => writable.write(silence, (err) => (err ? reject(err) : resolve()))),
        ),
      );
    }
    this.stream.start();
    if (this.hasInput) (this.stream as Readable).on('data', (chunk: Buffer) => this.emit('data', chunk));
  }

  /**
   * Queues one block. false: naudiodon's queue and the stream buffer are full; wait for 'drain'.
   * onQueued runs once naudiodon has copied the chunk into its own queue.
   */
  write(chunk: Buffer, onQueued?: (err?: Error | null) => void): boolean {
    if (!this.hasOutput) throw new Error('write on an input stream');
    if (chunk.length !== this.bytesPerBuffer) {
      throw new RangeError(`write expects one block of ${this.bytesPerBuffer} bytes, got ${chunk.length}`);
    }
    return (this.stream as Writable).write(chunk, onQueued);
  }

  /** Quits once (never via end(), whose 'finish' path quits twice) and never waits longer than timeoutMs. */
  close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<CloseResult> {
    this.closing ??= new Promise<CloseResult>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      this.stream.quit().then(
        () => {
          clearTimeout(timer);
          this.stream.destroy();
          resolve('closed');
        },
        () => {
          clearTimeout(timer);
          resolve('timeout');
        },
      );
    });
    return this.closing;
  }
}

function fillDefaults(o: StreamOptions & { prefillBuffers?: number }): Readonly<Required<StreamOptions>> & { prefillBuffers: number } {
  const channels = o.channels ?? 2;
  const maxQueue = o.maxQueue ?? DEFAULT_MAX_QUEUE;
  const prefillBuffers = o.prefillBuffers ?? DEFAULT_PREFILL;
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('sampleRate', o.sampleRate);
  positiveInt('framesPerBuffer', o.framesPerBuffer);
  positiveInt('channels', channels);
  positiveInt('maxQueue', maxQueue);
  if (!Number.isInteger(prefillBuffers) || prefillBuffers < 0 || prefillBuffers > maxQueue) {
    // More prefill than queue would block start() until PortAudio runs.
    throw new RangeError(`prefillBuffers must be an integer from 0 to maxQueue (${maxQueue}), got ${prefillBuffers}`);
  }
  return { sampleRate: o.sampleRate, framesPerBuffer: o.framesPerBuffer, channels, maxQueue, prefillBuffers };
}

function naudiodonOptions(device: AudioDevice, o: Readonly<Required<StreamOptions>>): NaudiodonStreamOptions {
  return {
    deviceId: device.id,
    sampleRate: o.sampleRate,
    channelCount: o.channels,
    sampleFormat: SAMPLE_FORMAT_INT16,
    framesPerBuffer: o.framesPerBuffer,
    maxQueue: o.maxQueue,
    // One block: with naudiodon's default (16384 bytes) a duplex stream never emits 'data'.
    highwaterMark: o.framesPerBuffer * o.channels * BYTES_PER_SAMPLE,
    // An xrun must not destroy the stream; naudiodon then prints it to stdout for the parent to count.
    closeOnError: false,
  };
}

export function openInput(options: InputOptions): PortAudioStream {
  const o = fillDefaults({ ...options, prefillBuffers: 0 });
  const device = resolveDevice(options.device, 'input', o.channels, naudiodonDevices());
  const stream = loadNaudiodon().AudioIO({ inOptions: naudiodonOptions(device, o) });
  return new PortAudioStream('input', device, undefined, o, stream);
}

export function openOutput(options: OutputOptions): PortAudioStream {
  const o = fillDefaults(options);
  const device = resolveDevice(options.device, 'output', o.channels, naudiodonDevices());
  const stream = loadNaudiodon().AudioIO({ outOptions: naudiodonOptions(device, o) });
  return new PortAudioStream('output', undefined, device, o, stream);
}

/** One PortAudio stream for both directions: a shared clock, but see the notes on its glitches. */
export function openDuplex(options: DuplexOptions): PortAudioStream {
  const o = fillDefaults(options);
  const devices = naudiodonDevices();
  const input = resolveDevice(options.inputDevice, 'input', o.channels, devices);
  const output = resolveDevice(options.outputDevice, 'output', o.channels, devices);
  const stream = loadNaudiodon().AudioIO({
    inOptions: naudiodonOptions(input, o),
    outOptions: naudiodonOptions(output, o),
  });
  return new PortAudioStream('duplex', input, output, o, stream);
}

/** What a line of the host's stdout means, for the parent that pipes it. */
export type NaudiodonLine = { kind: 'xrun'; flags: string[] } | { kind: 'other' };

const XRUN_LINE = /^AudioIO: portAudio status - (.*)$/;

/** naudiodon reports xruns only as stdout lines (closeOnError false): the parent counts them here. */
export function parseNaudiodonLine(line: string): NaudiodonLine {
  const m = XRUN_LINE.exec(line.trim());
  if (!m) return { kind: 'other' };
  const flags = m[1].trim().split(/\s+(?=input|output|priming)/).filter((f) => f.length > 0);
  return { kind: 'xrun', flags };
}
