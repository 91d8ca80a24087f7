import { EventEmitter } from 'events';
import { EngineClient, EngineClientFactory, HostQuery, ReadyEvent } from '../io/client';
import { Clock, TimerHandle, systemClock } from '../io/clock';
import { HostConfig, HostEvent, HostRequest } from '../io/protocol';
import { ListenerTracker } from './listeners';
import { EngineStatus } from './status';

// What the config node owns: one engine client at a time, shared by its user nodes with a reference
// count keyed by node id (mqtt-broker's register/deregister). The host starts with the first user and
// stops when the last one is removed; a user that is only redeployed keeps it running, so loops
// survive a deploy of the nodes around them. After an unexpected exit it makes a new client, after a
// delay that doubles on each quick crash.
//
// Host events are re-emitted on the connection, one channel per event type ('state', 'beat', ...;
// the host's 'error' events on 'hostError', since an unhandled 'error' would throw), so users keep
// their listeners when the client underneath is replaced. 'status' carries EngineStatus changes.

export interface EngineUser {
  id: string;
  engineStatus(status: EngineStatus): void;
}

export interface ConnectionOptions {
  /** first restart delay after a crash; doubles up to maxRestartDelayMs while the host keeps crashing */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** a host that ran this long before crashing restarts after restartDelayMs again */
  stableAfterMs?: number;
  /** stop() resolves after this even if the client's own stop does not */
  stopTimeoutMs?: number;
  /** each distinct text is passed once */
  log?: (level: 'warn' | 'error', text: string) => void;
  /** times the restart delays, the stop deadline and how long a host ran (default: the system's) */
  clock?: Clock;
}

export type HostEventType = HostEvent['type'];
export const channelOf = (type: HostEventType): string => (type === 'error' ? 'hostError' : type);

export class EngineConnection extends EventEmitter {
  private readonly users = new Map<string, EngineUser>();
  private status_: EngineStatus = 'stopped';
  private ready_: ReadyEvent | undefined;
  /** when the running host became ready, on the clock */
  private readyAt: number | undefined;
  private client: EngineClient | undefined;
  private readonly clientListeners = new ListenerTracker();
  private restartTimer: TimerHandle | undefined;
  private restartDelay: number;
  private stopping: Promise<void> | undefined;
  private closed = false;
  private readonly logged = new Set<string>();
  private readonly options: Required<Omit<ConnectionOptions, 'log'>> & Pick<ConnectionOptions, 'log'>;
  private readonly clock: Clock;

  constructor(
    readonly config: HostConfig,
    private readonly factory: EngineClientFactory,
    options: ConnectionOptions = {},
  ) {
    super();
    this.options = {
      restartDelayMs: 250,
      maxRestartDelayMs: 8000,
      stableAfterMs: 10000,
      stopTimeoutMs: 5000,
      clock: systemClock,
      ...options,
    };
    this.clock = this.options.clock;
    this.restartDelay = this.options.restartDelayMs;
  }

  get status(): EngineStatus {
    return this.status_;
  }
  /** The host's ready event while it runs. */
  get ready(): ReadyEvent | undefined {
    return this.client ? this.ready_ : undefined;
  }
  get userCount(): number {
    return this.users.size;
  }
  /** Whether a client exists (starting or running); for leak checks. */
  get hasClient(): boolean {
    return this.client !== undefined;
  }

  register(user: EngineUser): void {
    this.users.set(user.id, user);
    const before = this.status_;
    if (!this.closed && !this.client && !this.restartTimer) this.startWhenStopped();
    // a status change has reached every user already, this one included
    if (this.status_ === before) user.engineStatus(before);
  }

  /** removed: the user was deleted or disabled, not just redeployed. Resolves once the host is down, if it had to go. */
  deregister(user: EngineUser, removed: boolean): Promise<void> {
    this.users.delete(user.id);
    return removed && this.users.size === 0 ? this.stop() : Promise.resolve();
  }

  /** Returns false (and sends nothing) while no host runs. */
  send(req: HostRequest): boolean {
    if (!this.client || this.stopping) return false;
    this.client.send(req);
    return true;
  }

  request(query: HostQuery): Promise<unknown> {
    if (!this.client || this.stopping) return Promise.reject(new Error('the engine is not running'));
    return this.client.request(query);
  }

  /** The config node is closing: stop for good. */
  close(): Promise<void> {
    this.closed = true;
    return this.stop();
  }

  stop(): Promise<void> {
    this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const client = this.client;
    if (!client) {
      this.setStatus('stopped');
      return this.stopping ?? Promise.resolve();
    }
    this.client = undefined;
    this.clientListeners.removeAll();
    let timer: TimerHandle | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(() => {
        this.logOnce('warn', `the engine host did not stop within ${this.options.stopTimeoutMs} ms`);
        resolve();
      }, this.options.stopTimeoutMs);
    });
    const stopped = client.stop().catch((err: Error) => this.logOnce('warn', `stopping the engine host: ${err.message}`));
    const stopping = Promise.race([stopped, deadline]).then(() => {
      this.clock.clearTimeout(timer);
      if (this.stopping === stopping) this.stopping = undefined;
      if (!this.client) this.setStatus('stopped');
    });
    this.stopping = stopping;
    return stopping;
  }

  private startWhenStopped(): void {
    if (this.stopping) {
      // a device cannot be opened twice: the next host starts when the last one is gone
      void this.stopping.then(() => {
        if (!this.closed && !this.client && !this.restartTimer && this.users.size > 0) this.start();
      });
      return;
    }
    this.start();
  }

  private start(): void {
    let client: EngineClient;
    try {
      client = this.factory(this.config);
    } catch (err) {
      this.logOnce('error', `could not create the engine host: ${(err as Error).message}`);
      this.crashed();
      return;
    }
    this.client = client;
    this.ready_ = undefined;
    this.clientListeners.on(client, 'event', (e: HostEvent) => {
      if (e.type !== 'reply') this.emit(channelOf(e.type), e);
    });
    this.clientListeners.on(client, 'exit', (code: number) => {
      // an exit during start also rejects start(), whose error says why: that handler reports it
      if (this.client !== client || !this.ready_) return;
      this.logOnce('error', `the engine host exited with code ${code}`);
      this.crashed();
    });
    this.clientListeners.on(client, 'error', (err: Error) => this.logOnce('warn', err.message));
    this.setStatus('starting');
    client.start().then(
      (ready) => {
        if (this.client !== client) return;
        this.ready_ = ready;
        this.readyAt = this.clock.now();
        if (ready.notice) this.logOnce('warn', ready.notice);
        const deviceMissing = ready.backend === 'null' && this.config.backend !== 'null';
        this.setStatus(deviceMissing ? 'no-device' : 'running');
      },
      (err: Error) => {
        if (this.client !== client) return;
        this.logOnce('error', `the engine host did not start: ${err.message}`);
        this.crashed();
      },
    );
  }

  private crashed(): void {
    const client = this.client;
    this.client = undefined;
    this.clientListeners.removeAll();
    if (client) void client.stop().catch(() => undefined);
    this.setStatus('crashed');
    if (this.closed || this.users.size === 0) return;
    if (this.readyAt !== undefined && this.clock.now() - this.readyAt >= this.options.stableAfterMs) this.restartDelay = this.options.restartDelayMs;
    this.readyAt = undefined;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, this.options.maxRestartDelayMs);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closed && !this.client && this.users.size > 0) this.start();
    }, delay);
  }

  private setStatus(status: EngineStatus): void {
    if (status === this.status_) return;
    this.status_ = status;
    for (const user of this.users.values()) user.engineStatus(status);
    this.emit('status', status);
  }

  private logOnce(level: 'warn' | 'error', text: string): void {
    if (this.logged.has(text)) return;
    this.logged.add(text);
    this.options.log?.(level, text);
  }
}
