import { ChildProcess, fork, spawnSync } from 'child_process';
import { EventEmitter } from 'events';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { EngineClient, HostQuery, ReadyEvent } from './client';
import { parseNaudiodonLine } from './portaudio';
import type { HostConfig, HostDiagnosticRequest, HostEvent, HostRequest } from './protocol';
import { HOST_EXIT } from './protocol';

// The live engine host as an EngineClient: lib/io/host-main.ts in a forked child process (the
// rpi-gpio pattern: the node owns a child and talks to it, here over IPC instead of stdio lines).
// The child's stdout and stderr are pipes read here, never inherited, so naudiodon's C prints and
// ALSA's probe noise stay out of Node-RED's output; onOutput shows them when asked (verbose).
//
// xruns: the host reports the ones it sees itself (late blocks); PortAudio's own under/overflows exist
// only as naudiodon's stdout lines, counted here. Both go out as one 'xrun' event stream with a
// running total.

export interface ForkedClientOptions {
  /** the compiled host-main.js; default: beside this file */
  hostPath?: string;
  /** 'ready' must come within this: the first input block can take 2 s, a calibration another 3 */
  startTimeoutMs?: number;
  /** after 'quit', the host gets this long (it closes each stream within 2 s), then SIGKILL */
  stopTimeoutMs?: number;
  /** a request without a reply within this is rejected (calibrate: at least 30 s) */
  requestTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** the host's output, line by line (xrun lines excluded): log it when verbose, drop it otherwise */
  onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * Run the host under SCHED_FIFO at this priority (1-99) when the system allows it, else as before.
   * Default: $LOOPSTATION_REALTIME_PRIORITY, or none. What it buys on a busy machine: bench/RESULTS-soak.md.
   */
  realtimePriority?: number;
}

/** Requests that get a 'reply': the EngineClient ones, and the host's diagnostics. */
export type ForkedQuery = HostQuery | Omit<HostDiagnosticRequest, 'id'>;

type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'exited';
type Input = 'start' | 'ready' | 'stop' | 'exit';

/** The client's lifecycle; an input that does not apply in a phase changes nothing. */
const TRANSITIONS: Record<Phase, Partial<Record<Input, Phase>>> = {
  new: { start: 'starting', stop: 'exited' },
  starting: { ready: 'running', stop: 'stopping', exit: 'exited' },
  running: { stop: 'stopping', exit: 'exited' },
  stopping: { exit: 'exited' },
  exited: {},
};

const CALIBRATE_TIMEOUT_MS = 30000;
/** a save, load or export of a long set reads or writes hundreds of MiB */
const SESSION_TIMEOUT_MS = 120000;
/** After SIGKILL the exit event comes at once; if even it does not, stop() still returns. */
const KILL_GRACE_MS = 1000;
/** stderr lines kept to explain a host that died before it was ready */
const STDERR_TAIL = 20;
/** the threadpool threads the host may need: one per pending naudiodon read and write, plus fs/dns */
const HOST_THREADPOOL_SIZE = '8';

/**
 * How the host process is launched. naudiodon prints xruns with C stdio, which is block-buffered on a
 * pipe: they would arrive in bursts of ~80 lines, long after the fact. coreutils' stdbuf makes the
 * child's C stdout line-buffered; Node's own output does not go through C stdio, so nothing else
 * changes. Without it (not Linux), lines come late. With a realtime priority, util-linux's chrt puts the
 * whole host under SCHED_FIFO, when this user may (root, or an rtprio limit in limits.conf): checked once.
 *
 * Under SCHED_FIFO the host's garbage collection runs on its own thread alone (--single-threaded-gc):
 * V8's parallel collector has helper threads that spin-wait for each other, and under SCHED_FIFO (which
 * every thread of the host inherits) a spinning helper never yields the core to the one it waits for.
 * Measured on 2 cores with two hosts at FIFO 20: bursts of seconds in which the hosts burned both cores
 * (about 11 s of CPU each in 15 s), starving the Node-RED side at normal priority until no event got
 * through; the Link interop scenario of two hosts failed 5 of 42 runs that way, 0 of 24 with the flag.
 * What it costs: the collector's work moves onto the host's own threads. Measured beside SooperLooper on
 * JACK (8 loops, 2 busy loops, FIFO 20): the host used 2.4 % of a core without the flag, 3.5 and 5.3 %
 * with it. Running only the audio thread under SCHED_FIFO would avoid both; not done yet.
 */
function launcher(realtimePriority: number | undefined): { execPath: string; execArgv: string[] } {
  const prefix: string[] = [];
  const node: string[] = [process.execPath];
  if (realtimePriority !== undefined && realtimeAllowed(realtimePriority)) {
    prefix.push('chrt', '-f', String(realtimePriority));
    node.push('--single-threaded-gc');
  }
  const stdbuf = ['/usr/bin/stdbuf', '/bin/stdbuf'].find((p) => fs.existsSync(p));
  if (stdbuf) prefix.push(stdbuf, '-oL');
  if (prefix.length === 0) return { execPath: process.execPath, execArgv: [] };
  return { execPath: prefix[0], execArgv: [...prefix.slice(1), ...node] };
}

function realtimePriorityFromEnv(): number | undefined {
  const n = Number(process.env.LOOPSTATION_REALTIME_PRIORITY);
  return Number.isInteger(n) && n >= 1 && n <= 99 ? n : undefined;
}

const realtimeChecked = new Map<number, boolean>();
function realtimeAllowed(priority: number): boolean {
  if (!realtimeChecked.has(priority)) {
    realtimeChecked.set(priority, spawnSync('chrt', ['-f', String(priority), 'true'], { stdio: 'ignore' }).status === 0);
  }
  return realtimeChecked.get(priority)!;
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ForkedClient extends EventEmitter implements EngineClient {
  private phase: Phase = 'new';
  private child: ChildProcess | undefined;
  private readonly options: Required<Omit<ForkedClientOptions, 'onOutput' | 'env' | 'realtimePriority'>> &
    Pick<ForkedClientOptions, 'onOutput' | 'env' | 'realtimePriority'>;
  private early: HostRequest[] = [];
  private readonly pending = new Map<number, Pending>();
  /** negative, so they never meet the ids callers put on requests they send() themselves */
  private nextId = -1;
  private starting: { resolve(ready: ReadyEvent): void; reject(err: Error): void; timer: NodeJS.Timeout } | undefined;
  private stopping: Promise<void> | undefined;
  private exitCode: number | undefined;
  private startError: string | undefined;
  private readonly stderrTail: string[] = [];
  private hostXruns = 0;
  private deviceXruns = 0;
  private lastFrame = 0;

  constructor(private readonly config: HostConfig, options: ForkedClientOptions = {}) {
    super();
    this.options = {
      hostPath: path.join(__dirname, 'host-main.js'),
      startTimeoutMs: 20000,
      stopTimeoutMs: 5000,
      requestTimeoutMs: 10000,
      realtimePriority: realtimePriorityFromEnv(),
      ...options,
    };
  }

  /** Whether the host runs under SCHED_FIFO: undefined when no realtimePriority was asked for. */
  get realtime(): boolean | undefined {
    const p = this.options.realtimePriority;
    return p === undefined ? undefined : realtimeAllowed(p);
  }

  /** The host's process id while it runs (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.phase === 'exited' ? undefined : this.child?.pid;
  }

  private to(input: Input): boolean {
    const next = TRANSITIONS[this.phase][input];
    if (next === undefined) return false;
    this.phase = next;
    return true;
  }

  start(): Promise<ReadyEvent> {
    if (!this.to('start')) return Promise.reject(new Error(`the engine host was already ${this.phase === 'exited' ? 'stopped' : 'started'}`));
    const { execPath, execArgv } = launcher(this.options.realtimePriority);
    const child = fork(this.options.hostPath, ['run', JSON.stringify(this.config)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...(this.options.env ?? process.env), UV_THREADPOOL_SIZE: HOST_THREADPOOL_SIZE },
      execPath,
      execArgv,
      serialization: 'json',
    });
    this.child = child;
    this.readLines(child.stdout!, (line) => this.stdoutLine(line));
    this.readLines(child.stderr!, (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
      this.options.onOutput?.('stderr', line);
    });
    child.on('message', (m: HostEvent) => this.message(m));
    child.on('exit', (code, signal) => this.exited(code ?? 128 + (signal ? os.constants.signals[signal] ?? 0 : 0)));
    child.on('error', (err) => {
      // a process that never spawned gets no 'exit' event: end here, or start() would wait for nothing
      if (child.pid === undefined) {
        this.startError = `could not start the engine host process: ${err.message}`;
        this.exited(HOST_EXIT.crashed);
      } else {
        this.emitError(new Error(`engine host process: ${err.message}`));
      }
    });
    return new Promise<ReadyEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.startError = `the engine host was not ready within ${this.options.startTimeoutMs} ms`;
        child.kill('SIGKILL');
      }, this.options.startTimeoutMs);
      this.starting = { resolve, reject, timer };
    });
  }

  send(req: HostRequest): void {
    if (this.phase === 'new' || this.phase === 'starting') this.early.push(req);
    else if (this.phase === 'running') this.post(req);
  }

  request(query: ForkedQuery): Promise<unknown> {
    if (this.phase === 'stopping' || this.phase === 'exited') return Promise.reject(new Error('the engine host is not running'));
    const id = this.nextId--;
    const least = query.type === 'calibrate' ? CALIBRATE_TIMEOUT_MS : query.type === 'session' ? SESSION_TIMEOUT_MS : 0;
    const timeoutMs = Math.max(least, this.options.requestTimeoutMs);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the engine host did not answer '${query.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ ...query, id } as HostRequest);
    });
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.phase === 'exited') return Promise.resolve();
    const wasNew = this.phase === 'new';
    this.to('stop');
    if (wasNew) {
      this.emit('exit', 0);
      return Promise.resolve();
    }
    const child = this.child!;
    this.stopping = new Promise<void>((resolve) => {
      let killTimer: NodeJS.Timeout | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(killTimer);
        clearTimeout(graceTimer);
        resolve();
      };
      this.once('exit', done);
      this.post({ type: 'quit' });
      killTimer = setTimeout(() => {
        child.kill('SIGKILL');
        // never hang, even if the exit event never comes (a zombie, a broken pipe)
        graceTimer = setTimeout(() => {
          this.off('exit', done);
          this.exited(128 + os.constants.signals.SIGKILL);
          done();
        }, KILL_GRACE_MS);
      }, this.options.stopTimeoutMs);
    });
    return this.stopping;
  }

  private post(req: HostRequest | HostDiagnosticRequest): void {
    const child = this.child;
    if (!child?.connected) return;
    try {
      child.send(req);
    } catch (err) {
      // the channel closed in between: the exit event follows and says the rest
      this.emitError(new Error(`engine host IPC: ${(err as Error).message}`));
    }
  }

  private message(m: HostEvent): void {
    if ('frame' in m && typeof m.frame === 'number') this.lastFrame = m.frame;
    switch (m.type) {
      case 'ready':
        this.ready(m);
        return;
      case 'reply': {
        const p = this.pending.get(m.id);
        if (!p) break;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error ?? 'the engine host refused the request'));
        return;
      }
      case 'xrun':
        this.hostXruns = m.count;
        this.emitEvent({ ...m, count: this.hostXruns + this.deviceXruns });
        return;
      case 'error':
        // before 'ready', an error is why the start failed: start() rejects with it
        if (this.phase === 'starting') {
          this.startError = m.message;
          return;
        }
        break;
    }
    this.emitEvent(m);
  }

  private ready(m: ReadyEvent): void {
    if (!this.to('ready') || !this.starting) return;
    clearTimeout(this.starting.timer);
    const { resolve } = this.starting;
    this.starting = undefined;
    for (const req of this.early) this.post(req);
    this.early = [];
    resolve(m);
  }

  private stdoutLine(line: string): void {
    const parsed = parseNaudiodonLine(line);
    if (parsed.kind === 'xrun') {
      this.deviceXruns++;
      this.emitEvent({ type: 'xrun', count: this.hostXruns + this.deviceXruns, frame: this.lastFrame, source: 'device' });
    } else {
      this.options.onOutput?.('stdout', line);
    }
  }

  private exited(code: number): void {
    const wasStopping = this.phase === 'stopping';
    if (!this.to('exit')) return;
    this.exitCode = code;
    const why = this.startError ?? this.stderrTail.slice(-3).join(' | ');
    const reason = code === HOST_EXIT.startFailed || !why ? `the engine host exited with code ${code}` : `the engine host exited with code ${code}: ${why}`;
    if (this.starting) {
      clearTimeout(this.starting.timer);
      this.starting.reject(new Error(this.startError ?? (wasStopping ? 'the engine host was stopped before it was ready' : reason)));
      this.starting = undefined;
    }
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
    this.early = [];
    // stop() promised code 0 for an exit it asked for, however the host got there
    this.emit('exit', wasStopping ? 0 : code);
  }

  /** The code the host process really exited with (undefined while it runs). */
  get hostExitCode(): number | undefined {
    return this.exitCode;
  }

  private readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) onLine(line);
    });
  }

  /** A throwing listener is the listener's bug: report it without losing the host. */
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
}
