import { DEFAULT_HOST_CONFIG } from '../../lib/control/host-config';
import { notRunning } from '../../lib/control/errors';
import { NodeMessage, NodeStatus } from '../../lib/control/red';
import { StatusView } from '../../lib/control/status';
import { ControllerContext } from '../../lib/control/wiring';
import { HostQuery, HostStatus, ReadyEvent } from '../../lib/io/client';
import { HostConfig, HostEvent, HostRequest, TrackStatus } from '../../lib/io/protocol';
import { ManualClock, flush } from '../fixtures/manual-clock';

// A ControllerContext with no Node-RED and no wall time: what a controller sends, outputs, shows and
// warns is recorded; host events are emitted by the test; timers run on a ManualClock; requests are
// answered by `answer`. Texts are the English fallbacks.

export type HostEventOf<T extends HostEvent['type']> = Extract<HostEvent, { type: T }>;

export class FakeContext implements ControllerContext {
  readonly config: HostConfig;
  readonly clock = new ManualClock();
  readonly statuses: NodeStatus[] = [];
  readonly status: StatusView;
  readonly sent: HostRequest[] = [];
  readonly outputs: NodeMessage[] = [];
  readonly warnings: string[] = [];
  readonly queries: HostQuery[] = [];
  /** false: send() throws like a node whose engine is not running */
  running = true;
  readyEvent: ReadyEvent | undefined;
  /** answers request(); by default a status with every track empty */
  answer: (query: HostQuery) => unknown = (query) => {
    if (query.type === 'status') return this.hostStatus();
    throw new Error(`no answer for ${query.type}`);
  };
  private readonly listeners = new Map<string, ((event: unknown) => void)[]>();

  constructor(config: Partial<HostConfig> = {}, deviceNode = false) {
    this.config = { ...DEFAULT_HOST_CONFIG, ...config };
    this.status = new StatusView((s) => this.statuses.push(s), deviceNode);
  }

  send(req: HostRequest): void {
    if (!this.running) throw notRunning();
    this.sent.push(req);
  }

  request(query: HostQuery): Promise<unknown> {
    this.queries.push(query);
    if (!this.running) return Promise.reject(new Error('the engine is not running'));
    try {
      return Promise.resolve(this.answer(query));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  ready(): ReadyEvent | undefined {
    return this.readyEvent;
  }

  output(msg: NodeMessage): void {
    this.outputs.push(msg);
  }

  listen<E>(channel: string, listener: (event: E) => void): void {
    const list = this.listeners.get(channel) ?? [];
    list.push(listener as (event: unknown) => void);
    this.listeners.set(channel, list);
  }

  /** What a controller announces to the others on its connection: delivered to this context's listeners, as the connection does. */
  announce<E>(channel: string, event: E): void {
    for (const listener of this.listeners.get(channel) ?? []) listener(event);
  }

  timeout(fn: () => void, ms: number): () => void {
    const handle = this.clock.setTimeout(fn, ms);
    return () => this.clock.clearTimeout(handle);
  }

  now(): number {
    return this.clock.now();
  }

  text(_key: string, _params: Record<string, string | number>, english: string): string {
    return english;
  }

  warn(text: string): void {
    this.warnings.push(text);
  }

  /** A host event on its connection channel ('error' events arrive on 'hostError'). */
  emit<T extends HostEvent['type']>(event: HostEventOf<T>): void {
    const channel = event.type === 'error' ? 'hostError' : event.type;
    for (const listener of this.listeners.get(channel) ?? []) listener(event);
  }

  listenerCount(channel: string): number {
    return this.listeners.get(channel)?.length ?? 0;
  }

  /** The last status shown. */
  get shown(): NodeStatus | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  /** Sent commands as {command, track, value}. */
  commands(): { command: string; track: number; value?: unknown }[] {
    return this.sent.flatMap((r) => (r.type === 'command' ? [{ command: r.command, track: r.track, value: r.value }] : []));
  }

  /** Takes the commands sent so far (so the next check sees only new ones). */
  takeCommands(): { command: string; track: number; value?: unknown }[] {
    const c = this.commands();
    this.sent.length = 0;
    return c;
  }

  hostStatus(tracks: Partial<TrackStatus>[] = [], extra: Partial<HostStatus> = {}): HostStatus {
    const all: TrackStatus[] = [];
    for (let t = 1; t <= this.config.tracks; t++) {
      all.push({ track: t, state: 'empty', frames: 0, seconds: 0, bars: 0, layers: 0, volume: 1, pan: 0, muted: false, soloed: false, ...tracks.find((x) => x.track === t) });
    }
    return { frame: 0, bpm: this.config.bpm, beatsPerBar: this.config.beatsPerBar, metronome: this.config.metronome.enabled, xruns: 0, tracks: all, ...extra };
  }

  /** Lets promise callbacks (a controller's refresh after a status request) run. */
  drain(): Promise<void> {
    return flush();
  }
}
