// A device-less backend paced like a sound card: it calls process(frames) once per block at real-time
// pace, for the nodes' tests and for running without audio hardware. Block n is due at
// start + n * blockMs, computed from the block count, so timer jitter never accumulates into drift.

import { Clock, TimerHandle, systemClock } from './clock';

export interface NullXrun {
  /** Index of the first block that was late. */
  block: number;
  /** How late that block was, in ms (more than one block). */
  lateMs: number;
  /** Blocks dropped because catching up would have taken more than maxCatchUpBlocks; 0 when all were caught up. */
  droppedBlocks: number;
}

export interface NullBackendOptions {
  sampleRate: number;
  framesPerBuffer: number;
  /** Renders one block; called with framesPerBuffer. */
  process: (frames: number) => void;
  /** Called when the event loop woke up more than one block late. */
  onXrun?: (xrun: NullXrun) => void;
  /**
   * Late blocks rendered back to back to catch up, like a device draining its buffer; beyond this
   * (a suspended process), the schedule restarts from now and the rest is dropped. Default: 250 ms worth.
   */
  maxCatchUpBlocks?: number;
  /** the clock that paces the blocks (default: performance.now() and the event loop's timers) */
  clock?: Clock;
}

export class NullBackend {
  readonly blockMs: number;
  private readonly maxCatchUpBlocks: number;
  private startMs = 0;
  /** Blocks since start() on the schedule, including dropped ones. */
  private nextBlock = 0;
  private processedBlocks = 0;
  private xrunCount = 0;
  private timer: TimerHandle | undefined;
  private active = false;
  private readonly clock: Clock;

  constructor(private readonly options: NullBackendOptions) {
    const { sampleRate, framesPerBuffer } = options;
    if (!(sampleRate > 0) || !Number.isInteger(framesPerBuffer) || framesPerBuffer <= 0) {
      throw new RangeError(`sampleRate must be > 0 and framesPerBuffer a positive integer, got ${sampleRate} and ${framesPerBuffer}`);
    }
    this.blockMs = (framesPerBuffer * 1000) / sampleRate;
    this.maxCatchUpBlocks = options.maxCatchUpBlocks ?? Math.max(1, Math.ceil(250 / this.blockMs));
    this.clock = options.clock ?? systemClock;
  }

  get running(): boolean {
    return this.active;
  }
  get framesProcessed(): number {
    return this.processedBlocks * this.options.framesPerBuffer;
  }
  get xruns(): number {
    return this.xrunCount;
  }

  /** When block `block` is due, on the backend's clock. */
  dueMs(block: number): number {
    return this.startMs + block * this.blockMs;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.startMs = this.clock.now();
    this.nextBlock = 0;
    this.tick();
  }

  stop(): void {
    this.active = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick = (): void => {
    let now = this.clock.now();
    const late = now - this.dueMs(this.nextBlock);
    if (late > this.blockMs) {
      this.xrunCount++;
      const behind = Math.floor(late / this.blockMs) + 1;
      const dropped = Math.max(0, behind - this.maxCatchUpBlocks);
      this.options.onXrun?.({ block: this.nextBlock, lateMs: late, droppedBlocks: dropped });
      this.nextBlock += dropped;
    }
    while (this.dueMs(this.nextBlock) <= now) {
      this.options.process(this.options.framesPerBuffer);
      this.processedBlocks++;
      this.nextBlock++;
      if (!this.active) return; // process() called stop()
      // process() may have taken long enough for the next block to fall due.
      now = this.clock.now();
    }
    this.timer = this.clock.setTimeout(this.tick, Math.max(0, this.dueMs(this.nextBlock) - now));
  };
}
