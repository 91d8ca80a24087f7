import { Endpoint, MeasurementMessage, MeasurementType } from './codec';
import { median, middleHalfSpread, offsetSamples } from './timeline';
import type { Timers } from './peer';

// One measurement of a session's ghost time: pings to one of its peers, each answered with its ghost
// time; every pong gives one or two offset samples (timeline.ts: offsetSamples), and the median of
// MEASUREMENT_SAMPLES of them is the offset (ghost - host, µs). On a quiet path (loopback, a wired
// LAN) the samples agree early: once EARLY_SAMPLES of them have their middle half within
// EARLY_SPREAD_MICROS, their median is as good, and the measurement ends there. Each pong wakes the
// process, and the wake-ups are most of what the sync costs on a small board. The next ping goes out
// as soon as a pong arrives; a ping with no pong within PING_TIMEOUT_MS is sent again, and after
// MAX_TIMEOUTS in a row the measurement fails.

export const MEASUREMENT_SAMPLES = 100;
export const EARLY_SAMPLES = 20;
export const EARLY_SPREAD_MICROS = 50;
export const PING_TIMEOUT_MS = 50;
export const MAX_TIMEOUTS = 5;

export class Measurement {
  private readonly samples: number[] = [];
  private sentAt = 0;
  private prevGhost: number | undefined;
  private timeouts = 0;
  private timer: unknown;
  private finished = false;

  constructor(
    readonly target: Endpoint,
    readonly sessionId: Buffer,
    private readonly send: (m: MeasurementMessage, to: Endpoint) => void,
    private readonly clock: () => number,
    private readonly timers: Timers,
    /** the offset, or undefined when the peer stopped answering or left the session */
    private readonly done: (offset: number | undefined) => void,
  ) {
    this.ping();
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** A pong from the target. */
  pong(m: MeasurementMessage): void {
    if (this.finished || m.hostTime !== this.sentAt || m.ghostTime === undefined) return;
    if (!m.sessionId || !m.sessionId.equals(this.sessionId)) return this.finish(undefined);
    this.timeouts = 0;
    this.samples.push(...offsetSamples(this.sentAt, this.clock(), m.ghostTime, m.prevGhostTime));
    this.prevGhost = m.ghostTime;
    if (this.samples.length >= MEASUREMENT_SAMPLES || (this.samples.length >= EARLY_SAMPLES && middleHalfSpread(this.samples) <= EARLY_SPREAD_MICROS)) return this.finish(median(this.samples));
    this.ping();
  }

  cancel(): void {
    this.finished = true;
    this.timers.clearTimeout(this.timer);
  }

  private ping(): void {
    this.timers.clearTimeout(this.timer);
    // the wire carries whole µs: the echo must match what was sent
    this.sentAt = Math.round(this.clock());
    const m: MeasurementMessage = { type: MeasurementType.Ping, hostTime: this.sentAt };
    if (this.prevGhost !== undefined) m.prevGhostTime = this.prevGhost;
    this.send(m, this.target);
    this.timer = this.timers.setTimeout(() => {
      if (++this.timeouts >= MAX_TIMEOUTS) this.finish(undefined);
      else this.ping();
    }, PING_TIMEOUT_MS);
  }

  private finish(offset: number | undefined): void {
    if (this.finished) return;
    this.cancel();
    this.done(offset);
  }
}
