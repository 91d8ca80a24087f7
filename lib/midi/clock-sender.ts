import { MidiClockOut } from './clock-out';

// Sends MidiClockOut's messages at their time: the engine frame each one belongs at becomes a wall-clock
// time through the newest beat heard (beat k's frame sounded when its event arrived: the host sends
// beat events when they sound), and one timer at a time waits for the next message. The mapping is
// renewed at every beat, so the sample clock and the wall clock never drift apart; what is left is the
// timer's jitter (bench/osc-midi.ts measures it). A Node timer fires 1-2 ms after its time, so the
// sender aims LEAD_MS early: messages go out within about a millisecond either side of their time
// instead of always late.

const LEAD_MS = 1;

export class ClockSender {
  private frame = 0;
  private at = 0;
  private known = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** a start asked for before any beat was heard: it happens at the first beat */
  private startWaiting = false;

  constructor(
    readonly clock: MidiClockOut,
    private readonly send: (bytes: number[], frame: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Engine beat `beat` at `frame`, heard now, at `bpm`: anchors the grid and the frame clock. */
  beat(frame: number, beat: number, bpm: number): void {
    this.frame = frame;
    this.at = this.now();
    this.known = true;
    this.clock.anchor(frame, beat, bpm);
    if (this.startWaiting) {
      this.startWaiting = false;
      this.clock.start(beat);
    }
    this.pump();
  }

  /** The engine frame now, from the newest beat. */
  frameNow(): number {
    return this.frame + ((this.now() - this.at) * this.clock.sampleRate) / 1000;
  }

  /** Starts the clock at the next beat (song position 0 there); before any beat was heard, at the first. */
  start(): void {
    if (!this.known) {
      this.startWaiting = true;
      return;
    }
    this.clock.start(Math.ceil(this.clock.beatAt(this.frameNow()) - 1e-9));
    this.pump();
  }

  stop(): void {
    this.clock.stop(Math.floor(this.frameNow()));
    this.pump();
  }

  continue(): void {
    if (!this.known) return;
    this.clock.continue(Math.floor(this.frameNow()));
    this.pump();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || !this.known) return;
    const lead = (LEAD_MS * this.clock.sampleRate) / 1000;
    this.clock.render(Math.floor(this.frameNow() + lead) + 1, (m) => this.send(m.bytes, m.frame));
    const next = this.clock.nextFrame();
    if (next === Infinity) return;
    const wait = Math.max(0, ((next - this.frame) * 1000) / this.clock.sampleRate + this.at - this.now() - LEAD_MS);
    this.timer = setTimeout(() => this.pump(), wait);
  }
}
