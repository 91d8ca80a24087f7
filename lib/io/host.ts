// The engine host's engine side: the Host owns the engine, the audio driver, the session folder and
// calibration, and runs on a worker thread of the host process (lib/io/host-worker.ts) so that the
// bridge driver can block that thread on the device's callback while the process's main thread keeps
// the IPC channel to the parent (lib/io/host-main.ts). Requests come in through handle(), events go out
// through `send`.

import path from 'path';
import { InputError, numberIn, parseCommand } from '../engine/commands';
import { Engine } from '../engine/engine';
import type { EngineEvent } from '../engine/events';
import { WriteMode, WriteProgress } from '../engine/track';
import { State } from '../engine/types';
import { Autosave, clearAll, exportInWorker, importIntoTrack, restoreSession, SessionLibrary, sessionName } from '../session';
import type { RestoreReport } from '../session';
import { MAX_EXPORT_LOOPS } from '../session/export';
import { BridgeDriver } from './bridge-driver';
import { AudioDriver, BlockRenderer, NullDriver, PortAudioDriver, XrunReport } from './drivers';
import { activeBinding, AudioDevice, bridgeChoice, BRIDGE_INSTALL_HINT, listDevices, PortAudioBinding } from './portaudio';
import {
  BackendName, CalibrationResult, engineOptionsOf, HOST_EXIT, HostConfig, HostDiagnosticRequest, HostEvent, HostRequest, LoopData,
  SESSION_COMMANDS, SessionRequest, SLACK_PERIODS,
} from './protocol';
import { HostCalibration } from './host-calibration';
import { SessionQueue } from './session-queue';
import { isSoundingEvent, SoundingQueue } from './sounding';
import { hostStatus } from './status';
import { LEVELS_INTERVAL_MS, LevelMeter, translateEvent } from './translate';

export type HostInbound = HostRequest | HostDiagnosticRequest;
type LevelsEvent = Extract<HostEvent, { type: 'levels' }>;


// ---------------------------------------------------------------- lifecycle

type HostPhase = 'starting' | 'running' | 'reopening' | 'quitting';
type HostInput = 'started' | 'fault' | 'reopened' | 'quit';

/**
 * The host's lifecycle. A failed start is not a phase: the host reports it and exits. A failed reopen
 * stays in 'reopening' and tries again later; the engine (and every loop) lives through all of it.
 */
const TRANSITIONS: Record<HostPhase, Partial<Record<HostInput, HostPhase>>> = {
  starting: { started: 'running', quit: 'quitting' },
  running: { fault: 'reopening', quit: 'quitting' },
  reopening: { reopened: 'running', quit: 'quitting' },
  quitting: {},
};

/** Delays between attempts to reopen a lost device: quick at first, then every 8 s. */
const REOPEN_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];
const DEFAULT_PREFILL = 4;
const SETTLE_MS = 1000;

/** A load waits this long for the block that empties the tracks (none come while a lost device is reopened). */
const LOAD_BLOCK_TIMEOUT_MS = 5000;
/** quit waits this long for the autosave to flush; what it has not written is in its capture files */
const SESSION_CLOSE_TIMEOUT_MS = 3000;

export class Host {
  private phase: HostPhase = 'starting';
  private readonly engine: Engine;
  private driver: AudioDriver | undefined;
  /** which driver kind this host runs; kept across reopens */
  private backend: BackendName = 'null';
  /** which PortAudio binding the portaudio backend goes through */
  private binding: PortAudioBinding | undefined;
  /** the devices chooseBackend listed, for the first driver (a probe takes PortAudio a while; a reopen probes anew) */
  private probedDevices: AudioDevice[] | undefined;
  private notices: string[] = [];
  private readonly sounding: SoundingQueue;
  private readonly meter = new LevelMeter();
  private readonly levelsEveryBlocks: number;
  private blocksSinceLevels = 0;
  /** xruns the host saw itself (late or dropped blocks); the client adds the device's (naudiodon's stdout lines) */
  private xruns = 0;
  /** the latency calibration, fed by every block */
  private readonly calibration: HostCalibration;
  private reopenAttempt = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private pcmInBytes: Buffer | undefined;
  /** what the drivers call once per block: the engine's buffers and the two ways to render into them */
  private readonly renderer: BlockRenderer;
  private readonly progress: WriteProgress = { mode: WriteMode.None, began: 0, loop: -1, len: 0, startPos: 0, framesWritten: 0 };
  /** the session folder (HostConfig.sessionDir), if set; autosave runs once it was restored at start */
  private readonly library: SessionLibrary | undefined;
  private autosave: Autosave | undefined;
  /** why the session folder could not be used (then sessions are refused with it) */
  private sessionProblem: string | undefined;
  /** why a session folder is set but not autosaved (the ready event says so) */
  private autosaveOff: string | undefined;
  /** the start's restore report, sent after 'ready' */
  private restored: HostEvent | undefined;
  /** a 'load' is replacing the loops: autosave looks again once it has adopted the loaded ones */
  private loading = false;
  /** session requests run one at a time (a save during a load would snapshot half a session), each with a deadline */
  private readonly sessionQueue = new SessionQueue();
  private blockWaiters: (() => void)[] = [];

  constructor(
    private readonly config: HostConfig,
    private readonly send: (e: HostEvent) => void,
    private readonly exit: (code: number) => void,
  ) {
    // the live host meters every track (the loop recorders' and the panel's meters)
    this.engine = new Engine({ ...engineOptionsOf(config), trackMeters: true });
    this.sounding = new SoundingQueue(config.blockFrames);
    this.levelsEveryBlocks = Math.max(1, Math.round((LEVELS_INTERVAL_MS * config.sampleRate) / 1000 / config.blockFrames));
    this.library = config.sessionDir ? new SessionLibrary(path.resolve(config.sessionDir)) : undefined;
    this.calibration = new HostCalibration(config.sampleRate, {
      whyNot: () => {
        if (this.backend !== 'portaudio' || this.phase !== 'running') {
          return this.backend === 'portaudio' ? `the audio device is not running (${this.phase})` : 'calibration needs an audio device with a loopback: the null backend has no input';
        }
        return this.anyTrackWriting() ? 'a track is recording or overdubbing: calibrate when none is' : undefined;
      },
      nextFrame: () => this.engine.frame + config.blockFrames,
      // inputLatencyFrames decides where a pass in progress writes: change it only between passes
      apply: (roundTrip) => {
        if (this.anyTrackWriting()) return false;
        this.engine.inputLatencyFrames = roundTrip;
        if (this.driver) this.sounding.delayFrames = this.soundDelayFrames(this.driver, roundTrip);
        return true;
      },
    });
    this.renderer = {
      renderInt16: this.renderInt16,
      renderFloat: this.renderFloat,
      floatInput: this.engine.inputView(),
      floatOutput: this.engine.outputView(),
    };
  }

  /** Moves along the lifecycle table; false (and nothing changes) when `input` does not apply now. */
  private to(input: HostInput): boolean {
    const next = TRANSITIONS[this.phase][input];
    if (next === undefined) return false;
    this.phase = next;
    return true;
  }

  async start(): Promise<void> {
    // the autosave comes back before the first block: frame 0, every loop where it was on the grid
    await this.openSession();
    try {
      this.driver = this.openDriver(this.chooseBackend());
      await this.driver.start();
    } catch (err) {
      this.failStart(err as Error);
      return;
    }
    if (!this.to('started')) return; // a quit came first
    const driver = this.driver;
    let inputLatencyFrames = this.config.inputLatencyFrames;
    if (this.config.calibrateOnStart && driver.backend === 'portaudio') {
      try {
        // the first second of a new stream pair is where dropouts happened here: let it settle
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        inputLatencyFrames = (await this.calibrate()).inputLatencyFrames;
      } catch (err) {
        this.notices.push(`latency calibration failed (${(err as Error).message}); using inputLatencyFrames ${inputLatencyFrames}`);
      }
      // a device lost meanwhile is being reopened: the host is up all the same, its engine waits
      if (this.phase === 'quitting') return;
    }
    this.send({
      type: 'ready',
      backend: driver.backend,
      sampleRate: this.config.sampleRate,
      blockFrames: this.config.blockFrames,
      inputDevice: driver.inputDevice,
      outputDevice: driver.outputDevice,
      notice: this.notices.length ? this.notices.join('; ') : undefined,
      autosaveOff: this.autosaveOff,
      inputLatencyFrames,
      soundDelayFrames: this.sounding.delayFrames,
      binding: driver.backend === 'portaudio' ? this.binding : undefined,
      latency: driver instanceof BridgeDriver ? driver.latency : undefined,
    });
    if (this.restored) this.send(this.restored);
    this.restored = undefined;
  }

  /** Restores the session folder's autosave into the engine and starts autosaving; a failure only turns autosave off. */
  private async openSession(): Promise<void> {
    const lib = this.library;
    if (!lib) return;
    try {
      const report = await restoreSession(this.engine, lib.autosaveDir);
      this.autosave = new Autosave(this.engine, lib.autosaveDir, {
        adopted: report.adopted,
        onError: (err) => this.send({ type: 'error', track: 0, message: `autosave: ${err.message}` }),
      });
      this.autosave.afterBlock();
      this.restored = sessionEvent('start', 'autosave', report);
      const problem = await this.autosave.started;
      if (problem) {
        this.autosave = undefined;
        throw problem;
      }
    } catch (err) {
      this.sessionProblem = `the session folder ${lib.root} could not be used: ${(err as Error).message}`;
      this.autosaveOff = `${this.sessionProblem}; nothing is autosaved`;
      this.notices.push(this.autosaveOff);
    }
  }

  /**
   * 'auto' runs PortAudio when a binding loads and the devices resolve, else the null backend with a
   * notice. A device that was named but is not there is an error for every backend, never a fallback.
   */
  private chooseBackend(): BackendName {
    const { backend, inputDevice, outputDevice } = this.config;
    if (backend === 'null') return 'null';
    let binding: PortAudioBinding;
    try {
      binding = activeBinding();
    } catch (err) {
      if (backend === 'portaudio') throw err;
      this.notices.push(`no sound: the null backend runs because ${(err as Error).message}`);
      return 'null';
    }
    this.binding = binding;
    if (binding !== 'bridge') {
      const why = bridgeChoice();
      this.notices.push(`PortAudio runs through naudiodon's stream path${binding === 'own build' ? ' (the binding built by `loopstation build-audio`)' : ''} because ${'reason' in why ? why.reason : 'the bridge was not chosen'}; ${BRIDGE_INSTALL_HINT}`);
    }
    if (backend === 'auto' && inputDevice === '' && outputDevice === '') {
      const devices = (this.probedDevices = listDevices());
      const ins = devices.filter((d) => d.isDefaultInput && d.maxInputChannels >= this.engine.inputChannels);
      const outs = devices.filter((d) => d.isDefaultOutput && d.maxOutputChannels >= 2 * this.engine.outputBuses);
      if (ins.length === 0 || outs.length === 0) {
        const what = ins.length === 0 ? `input device with ${this.engine.inputChannels}` : `output device with ${2 * this.engine.outputBuses}`;
        this.notices.push(`no sound: the null backend runs because PortAudio has no default ${what} channels (${devices.length} devices seen)`);
        return 'null';
      }
    }
    return 'portaudio';
  }

  private openDriver(backend: BackendName): AudioDriver {
    const driver = this.makeDriver(backend);
    this.backend = backend;
    this.sounding.delayFrames = this.soundDelayFrames(driver, this.engine.inputLatencyFrames);
    driver.on('fault', (err: Error) => this.fault(driver, err));
    driver.on('xrun', (x: XrunReport) => {
      this.xruns++;
      this.send({ type: 'xrun', count: this.xruns, frame: this.engine.frame, source: x.source, side: x.side, what: x.what });
    });
    driver.on('notice', (text: string) => this.send({ type: 'error', track: 0, message: text }));
    return driver;
  }

  private makeDriver(backend: BackendName): AudioDriver {
    const { sampleRate, blockFrames, inputDevice, outputDevice } = this.config;
    const inputChannels = this.engine.inputChannels;
    const outputChannels = 2 * this.engine.outputBuses;
    const devices = this.probedDevices;
    this.probedDevices = undefined;
    if (backend === 'null') return new NullDriver({ sampleRate, blockFrames }, this.renderer);
    const choice = this.binding === 'bridge' ? bridgeChoice() : undefined;
    if (choice && 'bridge' in choice) {
      const slackPeriods = numberIn(this.config.slackPeriods ?? SLACK_PERIODS.default, 'slackPeriods', [SLACK_PERIODS.min, SLACK_PERIODS.max], true);
      return new BridgeDriver(choice.bridge, { sampleRate, blockFrames, inputDevice, outputDevice, slackPeriods, devices, inputChannels, outputChannels }, this.renderer);
    }
    const prefillBuffers = this.config.prefillBuffers ?? DEFAULT_PREFILL;
    return new PortAudioDriver({ sampleRate, blockFrames, inputDevice, outputDevice, prefillBuffers, devices, inputChannels, outputChannels }, this.renderer);
  }

  /**
   * From rendering a frame to hearing it. A loopback round trip R is the output's delay plus the
   * input's, and the input's is about one block (a block is delivered once it is full), so the output
   * delay is R minus a block. Unmeasured, the driver's guess.
   */
  private soundDelayFrames(driver: AudioDriver, roundTrip: number): number {
    if (driver.backend === 'null' || roundTrip <= 0) return driver.defaultSoundDelayFrames;
    return Math.max(0, roundTrip - this.config.blockFrames);
  }

  private failStart(err: Error): void {
    // a quit while the streams opened closed them: that is the quit's exit, not a failed start
    if (this.phase === 'quitting') return;
    this.send({ type: 'error', track: 0, message: err.message });
    void this.closeDriver().then(() => this.exit(HOST_EXIT.startFailed));
  }

  // ---------------------------------------------------------------- the block (real-time side)

  /** naudiodon's stream path: int16 in and out, converted (with clamping) by the engine's kernels. */
  private readonly renderInt16 = (input: Buffer | null): Int16Array => {
    const engine = this.engine;
    const frames = this.config.blockFrames;
    const pcmIn = engine.pcmInView();
    if (input) {
      const bytes = frames * engine.inputChannels * 2;
      if (!this.pcmInBytes || this.pcmInBytes.buffer !== pcmIn.buffer) this.pcmInBytes = Buffer.from(pcmIn.buffer, pcmIn.byteOffset, bytes);
      input.copy(this.pcmInBytes, 0, 0, bytes);
    } else {
      pcmIn.fill(0, 0, frames * engine.inputChannels);
    }
    engine.decodeInput(frames);
    this.renderBlock(input !== null);
    engine.encodeOutput(frames);
    const out = engine.pcmOutView();
    this.calibration.play(out, engine.frame - frames, frames, 2 * engine.outputBuses);
    return out;
  };

  /** The bridge and the null device: float32 in the engine's own input and output buses, nothing converted. */
  private readonly renderFloat = (silentInput: boolean): void => {
    if (silentInput) this.renderer.floatInput.fill(0, 0, this.config.blockFrames * this.engine.inputChannels);
    this.renderBlock(!silentInput);
    const frames = this.config.blockFrames;
    this.calibration.play(this.renderer.floatOutput, this.engine.frame - frames, frames, 2 * this.engine.outputBuses);
  };

  /** The engine's block, on its input bus (already decoded): the click pattern is heard instead of music while measuring. */
  private renderBlock(hasInput: boolean): void {
    const engine = this.engine;
    const frames = this.config.blockFrames;
    // the click pattern is not music: the engine hears silence while it is measured
    if (hasInput && this.calibration.hearInput(this.renderer.floatInput, engine.frame, frames, engine.inputChannels)) this.renderer.floatInput.fill(0, 0, frames * engine.inputChannels);
    engine.process(frames);
    this.meter.add(engine.memory, engine.meters);
    this.meter.addRouting(engine.memory, engine.inputMeters, engine.inputChannels, engine.trackMeters, engine.tracks.length, frames);
    engine.events.drain(this.onEngineEvent);
    if (engine.events.dropped > 0) {
      this.send({ type: 'error', track: 0, message: `${engine.events.dropped} engine events were dropped (the event ring was full)` });
      engine.events.dropped = 0;
    }
    this.sounding.release(engine.frame, this.send);
    if (!this.loading) this.autosave?.afterBlock();
    if (this.blockWaiters.length > 0) for (const wake of this.blockWaiters.splice(0)) wake();
    if (++this.blocksSinceLevels >= this.levelsEveryBlocks) {
      this.blocksSinceLevels = 0;
      const levels = this.meter.take() as LevelsEvent;
      levels.frame = engine.frame;
      this.send(levels);
    }
  }

  /** An event of the block just rendered: held until it is heard (states, beats), or sent now. */
  private readonly onEngineEvent = (e: EngineEvent): void => {
    const event = translateEvent(this.engine, e);
    if (isSoundingEvent(event)) this.sounding.hold(event);
    else this.send(event);
  };

  // ---------------------------------------------------------------- requests (control side)

  handle(msg: HostInbound): void {
    switch (msg.type) {
      case 'command':
        this.command(msg);
        return;
      case 'quit':
        void this.quit();
        return;
      case 'status':
        this.reply(msg.id, () => hostStatus(this.engine, this.xruns));
        return;
      case 'devices':
        // the binding's refusal (with what to install) is the answer when it does not load
        this.reply(msg.id, () => ({ devices: listDevices() }));
        return;
      case 'calibrate':
        this.calibrate().then(
          (result) => this.send({ type: 'reply', id: msg.id, ok: true, result }),
          (err: Error) => this.send({ type: 'reply', id: msg.id, ok: false, error: err.message }),
        );
        return;
      case 'loop':
        this.reply(msg.id, () => this.loopData(msg.track));
        return;
      case 'session':
        this.session(msg);
        return;
      default:
        this.send({ type: 'error', track: 0, message: `unknown request type ${JSON.stringify((msg as { type?: unknown }).type)}` });
    }
  }

  private reply(id: number, answer: () => unknown): void {
    try {
      this.send({ type: 'reply', id, ok: true, result: answer() });
    } catch (err) {
      this.send({ type: 'reply', id, ok: false, error: (err as Error).message });
    }
  }

  // ---------------------------------------------------------------- sessions (control side)

  private session(req: Extract<HostRequest, { type: 'session' }>): void {
    this.sessionQueue.run(String(req.command), () => this.sessionCommand(req)).then(
      (result) => this.send({ type: 'reply', id: req.id, ok: true, result }),
      (err: Error) => this.send({ type: 'reply', id: req.id, ok: false, error: err.message }),
    );
  }

  private async sessionCommand(req: SessionRequest): Promise<unknown> {
    const { command } = req;
    if (!SESSION_COMMANDS.includes(command)) {
      throw new InputError('command', `${JSON.stringify(command)} is not a session command; accepted: ${SESSION_COMMANDS.join(', ')}`);
    }
    if (command === 'import') {
      // the path comes from a trusted sender (a flow's msg): absolute, or relative to the session folder
      let file: unknown = req.file;
      if (typeof file === 'string' && file !== '' && !path.isAbsolute(file)) {
        if (!this.library) throw new InputError('file', `${JSON.stringify(file)} is relative; accepted: an absolute path (or set a session folder to read relative paths from)`);
        file = path.resolve(this.library.root, file);
      }
      return importIntoTrack(this.engine, req.track, file);
    }
    const lib = this.library;
    const autosave = this.autosave;
    if (!lib || !autosave) {
      throw new Error(this.sessionProblem ?? `no session folder: set one in the engine settings to ${command} sessions`);
    }
    switch (command) {
      case 'save':
        return lib.save(req.name, autosave);
      case 'list':
        return { autosave: await lib.autosaveSummary(), sessions: await lib.list() };
      case 'delete':
        await lib.delete(req.name);
        return { deleted: req.name };
      case 'load':
        return this.load(lib, autosave, req.name);
      case 'export': {
        const loops = req.loops === undefined ? 1 : numberIn(req.loops, 'loops', [1, MAX_EXPORT_LOOPS], true);
        const target = await lib.exportTarget(req.name);
        // the worker renders the autosave's files: the host's thread stays free for the audio
        await autosave.flush();
        const { files, problems } = await exportInWorker({ sessionDir: lib.autosaveDir }, target, loops);
        return { name: req.name, dir: path.dirname(target.mix), files, problems };
      }
    }
  }

  /** Replaces every loop with a named session's: checked first, then the tracks cleared, then it is restored in phase. */
  private async load(lib: SessionLibrary, autosave: Autosave, name: unknown): Promise<unknown> {
    // the autosave is the live session already: loading it into itself is refused like a bad name
    await lib.existing(sessionName(name));
    let report: RestoreReport;
    this.loading = true;
    try {
      clearAll(this.engine);
      await this.nextBlock();
      report = await lib.load(name, this.engine, autosave);
    } finally {
      this.loading = false;
    }
    const event = sessionEvent('load', String(name), report);
    this.send(event);
    const { type: _type, ...result } = event;
    return result;
  }

  /** Resolves after the next block has run (rejects when none comes: the device is being reopened). */
  private nextBlock(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.blockWaiters = this.blockWaiters.filter((w) => w !== wake);
        reject(new Error(`the engine ran no block within ${LOAD_BLOCK_TIMEOUT_MS} ms (${this.phase}): the tracks were cleared, the session was not loaded`));
      }, LOAD_BLOCK_TIMEOUT_MS);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.blockWaiters.push(wake);
    });
  }

  /** Flushes and closes the autosave, bounded: a pass in progress stays in its capture file either way. */
  private async closeSession(): Promise<void> {
    const autosave = this.autosave;
    this.autosave = undefined;
    if (!autosave) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SESSION_CLOSE_TIMEOUT_MS);
    });
    try {
      await Promise.race([autosave.close(), deadline]);
    } catch (err) {
      this.send({ type: 'error', track: 0, message: `autosave: ${(err as Error).message}` });
    } finally {
      clearTimeout(timer);
    }
  }

  private command(req: Extract<HostRequest, { type: 'command' }>): void {
    const engine = this.engine;
    try {
      // the IPC boundary is untrusted like a msg: same checks, same messages
      const c = parseCommand(req, engine.tracks.length);
      // "now" is the next frame the engine renders: a frame already rendered is too late to change
      const frame = req.frame === undefined ? engine.frame : numberIn(req.frame, 'frame', [0, Number.MAX_SAFE_INTEGER], true);
      engine.command(c.cmd, c.track, frame, c.value);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      this.send({ type: 'error', track: typeof req.track === 'number' ? req.track : 0, message: err.message, id: req.id });
    }
  }

  private loopData(track: unknown): LoopData {
    const t = numberIn(track, 'track', [1, this.engine.tracks.length], true);
    const data = this.engine.loopData(t);
    if (!data) return { track: t, frames: 0, int16Base64: '' };
    // x * 32768 undoes the device input's x / 32768: a recording comes back as the very samples captured
    const pcm = new Int16Array(data.length);
    for (let i = 0; i < data.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(data[i] * 32768)));
    return { track: t, frames: data.length / 2, int16Base64: Buffer.from(pcm.buffer).toString('base64') };
  }

  /** A pass in progress: recording or overdubbing, including the write side's tail (it lags by inputLatencyFrames). */
  private anyTrackWriting(): boolean {
    for (let i = 1; i <= this.engine.tracks.length; i++) {
      const state = this.engine.trackInfo(i).state;
      if (state === State.Recording || state === State.Overdubbing) return true;
      if (this.engine.writeProgress(i, this.progress).mode !== WriteMode.None) return true;
    }
    return false;
  }

  /** Plays a click pattern and finds it on the input (host-calibration.ts). */
  calibrate(): Promise<CalibrationResult> {
    return this.calibration.measure();
  }

  // ---------------------------------------------------------------- device loss and shutdown

  private fault(driver: AudioDriver, err: Error): void {
    if (driver !== this.driver || !this.to('fault')) return;
    this.calibration.cancel(`the audio device failed: ${err.message}`);
    // what was rendered will not be heard; the states it carries are true all the same
    this.sounding.flush(this.send);
    this.send({ type: 'error', track: 0, message: `audio device lost: ${err.message}; reopening (the loops are kept)` });
    void this.closeDriver().then((result) => {
      if (result === 'timeout') this.send({ type: 'error', track: 0, message: 'the lost stream did not close within 2 s; a PortAudio thread may be stuck' });
      this.scheduleReopen();
    });
  }

  private scheduleReopen(): void {
    if (this.phase !== 'reopening') return;
    const delay = REOPEN_DELAYS_MS[Math.min(this.reopenAttempt, REOPEN_DELAYS_MS.length - 1)];
    this.reopenAttempt++;
    this.reopenTimer = setTimeout(() => void this.reopen(), delay);
  }

  private async reopen(): Promise<void> {
    this.reopenTimer = undefined;
    if (this.phase !== 'reopening') return;
    let driver: AudioDriver | undefined;
    try {
      driver = this.openDriver(this.backend);
      this.driver = driver;
      await driver.start();
    } catch (err) {
      if (driver) await driver.close();
      if (this.phase !== 'reopening') return;
      this.driver = undefined;
      this.send({ type: 'error', track: 0, message: `audio device still unavailable (attempt ${this.reopenAttempt}): ${(err as Error).message}` });
      this.scheduleReopen();
      return;
    }
    if (!this.to('reopened')) return;
    this.reopenAttempt = 0;
    this.send({ type: 'error', track: 0, message: `audio device back: ${driver.inputDevice} -> ${driver.outputDevice}` });
  }

  private closeDriver(): Promise<'closed' | 'timeout'> {
    const driver = this.driver;
    this.driver = undefined;
    return driver ? driver.close() : Promise.resolve('closed');
  }

  /** Closes the streams (bounded by their close timeout) and exits; idempotent. */
  async quit(): Promise<void> {
    if (!this.to('quit')) return;
    clearTimeout(this.reopenTimer);
    this.calibration.cancel('the host is quitting');
    const result = await this.closeDriver();
    // no block runs any more: what the engine holds goes to the disk
    await this.closeSession();
    this.exit(result === 'timeout' ? HOST_EXIT.streamStuck : HOST_EXIT.ok);
  }
}

function sessionEvent(reason: 'start' | 'load', name: string, r: RestoreReport): Extract<HostEvent, { type: 'session' }> {
  return { type: 'session', reason, name, restored: r.restored, tracks: r.tracks, recovered: r.recovered, problems: r.problems };
}

