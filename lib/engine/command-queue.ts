import { Cmd } from './types';

// The engine's command queue: fixed-size records sorted by frame (stable: equal frames keep their
// order), in preallocated typed arrays. The control side inserts (Engine.command); process() takes
// the head off once its frame is due. Neither allocates, and a full queue refuses rather than grows.

export class CommandQueue {
  private readonly frames: Float64Array;
  private readonly cmds: Int32Array;
  private readonly tracks: Int32Array;
  private readonly values: Float64Array;
  count = 0;
  // The record the last shift() took off the queue.
  cmd: Cmd = Cmd.Record;
  track = 0;
  value = 0;

  constructor(readonly capacity: number) {
    this.frames = new Float64Array(capacity);
    this.cmds = new Int32Array(capacity);
    this.tracks = new Int32Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** The frame of the earliest record, Infinity when empty. */
  headFrame(): number {
    return this.count > 0 ? this.frames[0] : Infinity;
  }

  /** Inserts after every record at or before `frame`. Returns false when full. */
  insert(frame: number, cmd: Cmd, track: number, value: number): boolean {
    if (this.full) return false;
    let i = this.count;
    while (i > 0 && this.frames[i - 1] > frame) i--;
    this.frames.copyWithin(i + 1, i, this.count);
    this.cmds.copyWithin(i + 1, i, this.count);
    this.tracks.copyWithin(i + 1, i, this.count);
    this.values.copyWithin(i + 1, i, this.count);
    this.frames[i] = frame;
    this.cmds[i] = cmd;
    this.tracks[i] = track;
    this.values[i] = value;
    this.count++;
    return true;
  }

  /** Takes the earliest record off the queue into cmd, track and value (call only when count > 0). */
  shift(): void {
    this.cmd = this.cmds[0];
    this.track = this.tracks[0];
    this.value = this.values[0];
    this.frames.copyWithin(0, 1, this.count);
    this.cmds.copyWithin(0, 1, this.count);
    this.tracks.copyWithin(0, 1, this.count);
    this.values.copyWithin(0, 1, this.count);
    this.count--;
  }
}
