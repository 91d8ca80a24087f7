import { MIDI, PPQN, TICKS_PER_SPP, songPosition } from './messages';

// MIDI clock out from the engine's frame clock, as a pure class: it knows the engine's beat grid (beat k
// at frame originFrame + round((k - originBeat) * 60 * sampleRate / bpm), Transport's formula) and
// produces every clock, start, stop, continue and song position message with the engine frame it
// belongs at. Tick t after the start sits at beat startBeat + t / 24 of that grid, so every 24th tick
// lands exactly on an engine beat frame, and ticks never drift from the beats, whatever the tempo.
//
// The caller keeps the grid current from the engine's events (anchor() with a beat's frame and index,
// and the tempo from the beat it starts on), and calls render() up to the frame it is about to send
// for; the messages come out in frame order. Nothing here knows about wall-clock time.

export interface TimedMidi {
  frame: number;
  bytes: number[];
}

export class MidiClockOut {
  private originFrame = 0;
  private originBeat = 0;
  private bpm = 120;
  /** the engine beat at which song position 0 (the first tick) sits */
  private startBeat = 0;
  private running = false;
  /** the next tick to send, counted from the start */
  private tick = 0;
  /** start, stop, continue and song position messages waiting for their frame */
  private queue: TimedMidi[] = [];

  constructor(readonly sampleRate: number, bpm: number) {
    this.bpm = bpm;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The engine's grid: beat `beat` at `frame`, at `bpm` from there on (a 'beat' or a 'tempo' event). */
  anchor(frame: number, beat: number, bpm: number): void {
    this.originFrame = frame;
    this.originBeat = beat;
    this.bpm = bpm;
  }

  /** The frame of (fractional) engine beat b on the current grid. */
  beatFrame(b: number): number {
    return this.originFrame + Math.round(((b - this.originBeat) * 60 * this.sampleRate) / this.bpm);
  }

  /** The engine beat (fractional) at a frame on the current grid. */
  beatAt(frame: number): number {
    return this.originBeat + ((frame - this.originFrame) * this.bpm) / (60 * this.sampleRate);
  }

  /** Starts the song at engine beat `beat` (a beat or bar line): Start at its frame, the first tick there too. */
  start(beat: number): void {
    this.startBeat = beat;
    this.tick = 0;
    this.running = true;
    this.queue.push({ frame: this.beatFrame(beat), bytes: [MIDI.Start] });
  }

  /** Stop at `frame`: no tick at or after it is sent. */
  stop(frame: number): void {
    if (!this.running) return;
    this.running = false;
    this.queue.push({ frame, bytes: [MIDI.Stop] });
  }

  /**
   * Continue from where the engine's beats have got to: the song position of the next 16th after
   * `frame` (a song position pointer and Continue at `frame`), ticks from that 16th on.
   */
  continue(frame: number): void {
    if (this.running) return;
    const sixteenths = Math.max(0, Math.ceil(((this.beatAt(frame) - this.startBeat) * PPQN) / TICKS_PER_SPP - 1e-9));
    this.tick = sixteenths * TICKS_PER_SPP;
    this.running = true;
    this.queue.push({ frame, bytes: songPosition(sixteenths) }, { frame, bytes: [MIDI.Continue] });
  }

  /** The frame of tick t after the start. */
  tickFrame(t: number): number {
    return this.beatFrame(this.startBeat + t / PPQN);
  }

  /** The frame of the next message render() will give (Infinity when stopped with nothing queued). */
  nextFrame(): number {
    const q = this.queue.length > 0 ? this.queue[0].frame : Infinity;
    return Math.min(q, this.running ? this.tickFrame(this.tick) : Infinity);
  }

  /** Hands every message with a frame before `to` to `out`, in frame order (messages at one frame: queued first). */
  render(to: number, out: (m: TimedMidi) => void): void {
    for (;;) {
      const q = this.queue.length > 0 ? this.queue[0].frame : Infinity;
      const t = this.running ? this.tickFrame(this.tick) : Infinity;
      if (Math.min(q, t) >= to) return;
      if (q <= t) out(this.queue.shift() as TimedMidi);
      else {
        out({ frame: t, bytes: [MIDI.Clock] });
        this.tick++;
      }
    }
  }
}
