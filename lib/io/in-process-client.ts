import { EventEmitter } from 'events';
import { InputError, parseCommand } from '../engine/commands';
import { Engine } from '../engine/engine';
import { DeviceList, EngineClient, HostQuery, ReadyEvent } from './client';
import { Clock, systemClock } from './clock';
import { NullBackend } from './null-backend';
import { engineOptionsOf, HostConfig, HostEvent, HostRequest } from './protocol';
import { hostStatus } from './status';
import { LEVELS_INTERVAL_MS, LevelMeter, translateEvent } from './translate';

// The null backend as an EngineClient: the real Engine in this process, paced in real time by
// NullBackend (block n due at start + n * blockMs, so timers never drift), with silent input and no
// device. It answers the same requests and emits the same events as the forked host, so the nodes and
// their tests run without audio hardware.
//
// Timing: the block rendered at tick n sounds during the next block period (one block of output
// buffer), so its events are emitted at tick n + 1: beats and states arrive when they sound.

type Phase = 'new' | 'running' | 'exited';


export class InProcessClient extends EventEmitter implements EngineClient {
  private phase: Phase = 'new';
  private engine: Engine | undefined;
  private backend: NullBackend | undefined;
  /** commands sent before start(), delivered once the engine exists */
  private early: HostRequest[] = [];
  /** events of the block that is sounding now */
  private sounding: HostEvent[] = [];
  private readonly meter = new LevelMeter();
  private blocksSinceLevels = 0;
  private levelsEveryBlocks = 1;

  /** clock: what paces the blocks (a manual one in tests) */
  constructor(
    private readonly config: HostConfig,
    private readonly clock: Clock = systemClock,
  ) {
    super();
  }

  start(): Promise<ReadyEvent> {
    if (this.phase !== 'new') return Promise.reject(new Error(`the engine host was already ${this.phase === 'running' ? 'started' : 'stopped'}`));
    let engine: Engine;
    try {
      engine = new Engine({ ...engineOptionsOf(this.config), trackMeters: true });
    } catch (err) {
      this.exit(1);
      return Promise.reject(err instanceof InputError ? new Error(`engine settings: ${err.message}`) : err);
    }
    this.engine = engine;
    this.phase = 'running';
    const { sampleRate, blockFrames } = this.config;
    this.levelsEveryBlocks = Math.max(1, Math.round((LEVELS_INTERVAL_MS * sampleRate) / 1000 / blockFrames));
    this.backend = new NullBackend({
      sampleRate,
      framesPerBuffer: blockFrames,
      process: this.renderBlock,
      clock: this.clock,
      onXrun: () => this.emitEvent({ type: 'xrun', count: this.backend?.xruns ?? 0, frame: engine.frame }),
    });
    for (const req of this.early) this.send(req);
    this.early = [];
    this.backend.start();
    return Promise.resolve({
      type: 'ready',
      backend: 'null',
      sampleRate,
      blockFrames,
      inputDevice: '',
      outputDevice: '',
      notice: this.notice(),
    });
  }

  send(req: HostRequest): void {
    if (this.phase === 'new') {
      this.early.push(req);
      return;
    }
    if (this.phase === 'exited') return;
    switch (req.type) {
      case 'command':
        this.command(req);
        return;
      case 'quit':
        void this.stop();
        return;
      default:
        this.request(req).then(
          (result) => this.emitEvent({ type: 'reply', id: req.id, ok: true, result }),
          (err: Error) => this.emitEvent({ type: 'reply', id: req.id, ok: false, error: err.message }),
        );
    }
  }

  request(query: HostQuery): Promise<unknown> {
    switch (query.type) {
      case 'devices':
        return Promise.resolve<DeviceList>({ devices: [] });
      case 'calibrate':
        return Promise.reject(new Error('calibration needs an audio device with a loopback: the in-process engine has no input to measure'));
      case 'session':
        return Promise.reject(new Error('sessions need the engine host: the in-process engine does not keep sessions (nothing was saved, loaded or exported)'));
      case 'status':
        return this.engine && this.phase === 'running'
          ? Promise.resolve(hostStatus(this.engine, this.backend?.xruns ?? 0))
          : Promise.reject(new Error('the engine host is not running'));
    }
  }

  stop(): Promise<void> {
    if (this.phase !== 'exited') this.exit(0);
    return Promise.resolve();
  }

  private command(req: Extract<HostRequest, { type: 'command' }>): void {
    const engine = this.engine as Engine;
    try {
      // the IPC boundary is untrusted too: the forked host checks the same way
      const c = parseCommand(req, engine.tracks.length);
      engine.command(c.cmd, c.track, req.frame ?? engine.frame, c.value);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const track = typeof req.track === 'number' ? req.track : 0;
      this.emitEvent(req.id === undefined ? { type: 'error', track, message: err.message } : { type: 'error', track, message: err.message, id: req.id });
    }
  }

  private readonly renderBlock = (frames: number): void => {
    const engine = this.engine as Engine;
    const heard = this.sounding;
    this.sounding = [];
    try {
      engine.process(frames);
      this.meter.add(engine.memory, engine.meters);
      this.meter.addRouting(engine.memory, engine.inputMeters, engine.inputChannels, engine.trackMeters, engine.tracks.length, frames);
      engine.events.drain((e) => this.sounding.push(translateEvent(engine, e)));
      if (engine.events.dropped > 0) {
        this.sounding.push({ type: 'error', track: 0, message: `${engine.events.dropped} engine events were dropped (the event ring was full)` });
        engine.events.dropped = 0;
      }
    } catch (err) {
      this.emitError(err as Error);
      this.exit(1);
      return;
    }
    for (const e of heard) this.emitEvent(e);
    if (++this.blocksSinceLevels >= this.levelsEveryBlocks) {
      this.blocksSinceLevels = 0;
      this.emitEvent(this.meter.take());
    }
  };

  private notice(): string | undefined {
    const notes: string[] = [];
    if (this.config.backend !== 'null') notes.push('no audio device: the engine runs in-process without sound');
    if (this.config.metronome.sound && this.config.metronome.sound !== 'builtin') notes.push('the in-process engine plays the built-in click only');
    if (this.config.sessionDir) notes.push('the in-process engine does not autosave sessions');
    return notes.length ? notes.join('; ') : undefined;
  }

  /** A throwing listener is the listener's bug: report it without stopping the engine. */
  private emitEvent(event: HostEvent): void {
    try {
      this.emit('event', event);
    } catch (err) {
      this.emitError(err as Error);
    }
  }

  private emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private exit(code: number): void {
    this.phase = 'exited';
    this.backend?.stop();
    this.backend = undefined;
    // let the arena (up to memoryMiB) be collected even if someone keeps a reference to this client
    this.engine = undefined;
    this.sounding = [];
    this.early = [];
    this.emit('exit', code);
  }
}
