import type { HostEvent } from './protocol';

// Events that describe what is heard (a beat, a state change, a tempo change, an undo) leave the host
// when their frame sounds, not when the engine computed it: a GPIO LED or a dashboard then blinks with
// the click. The host renders a block ahead of the speaker by its output latency, so it holds such
// events for that many frames and releases them as rendering moves on (no timers: the device's own
// clock, through the block rhythm, paces the release).
//
// Control side; one array of pending events, in frame order because the engine emits them so.

export type TimedEvent = Extract<HostEvent, { frame: number }>;

/** Events whose moment is when they are heard; the rest ('pending', 'error', 'reply') go out at once. */
export function isSoundingEvent(e: HostEvent): e is TimedEvent {
  return e.type === 'state' || e.type === 'beat' || e.type === 'tempo' || e.type === 'layers';
}

export class SoundingQueue {
  private readonly held: TimedEvent[] = [];

  /** delayFrames: from a frame being rendered to it being heard (see Host.soundDelayFrames). */
  constructor(public delayFrames: number) {}

  get size(): number {
    return this.held.length;
  }

  hold(e: TimedEvent): void {
    this.held.push(e);
  }

  /** Rendering has reached `renderedFrame` (exclusive): emits, oldest first, what is heard by now. */
  release(renderedFrame: number, emit: (e: TimedEvent) => void): void {
    const heard = renderedFrame - this.delayFrames;
    let n = 0;
    while (n < this.held.length && this.held[n].frame < heard) n++;
    if (n === 0) return;
    for (const e of this.held.splice(0, n)) emit(e);
  }

  /** Everything still held, at once (the host is stopping, or the device went away). */
  flush(emit: (e: TimedEvent) => void): void {
    for (const e of this.held.splice(0)) emit(e);
  }
}
