import { EventType } from './types';

// Events leave process() through this ring of fixed-size records, and the control side drains it after
// each block (SooperLooper's non-RT update queue, Elementary's relay). A full ring drops the newest
// record and counts it, rather than allocate.

const FIELDS = 5; // type, track, frame, a, b
export interface EngineEvent {
  type: EventType;
  /** 1-based track, 0 for global events */
  track: number;
  frame: number;
  a: number;
  b: number;
}

export class EventRing {
  private readonly data: Float64Array;
  private head = 0;
  private count = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {
    this.data = new Float64Array(capacity * FIELDS);
  }

  push(type: EventType, track: number, frame: number, a: number, b: number): void {
    if (this.count === this.capacity) {
      this.dropped++;
      return;
    }
    const at = ((this.head + this.count) % this.capacity) * FIELDS;
    this.data[at] = type;
    this.data[at + 1] = track;
    this.data[at + 2] = frame;
    this.data[at + 3] = a;
    this.data[at + 4] = b;
    this.count++;
  }

  /** Control side: hands every queued event to fn, oldest first. The object passed is reused: copy what you keep. */
  drain(fn: (e: EngineEvent) => void): void {
    // most blocks have no event: nothing is allocated for them
    if (this.count === 0) return;
    const e: EngineEvent = { type: 0, track: 0, frame: 0, a: 0, b: 0 };
    while (this.count > 0) {
      const at = this.head * FIELDS;
      e.type = this.data[at];
      e.track = this.data[at + 1];
      e.frame = this.data[at + 2];
      e.a = this.data[at + 3];
      e.b = this.data[at + 4];
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      fn(e);
    }
  }
}
