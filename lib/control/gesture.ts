// Tap, double tap and hold from a button's levels (rpi-gpio in: 1 pressed, 0 released), as a pure
// class: the caller passes the time of each level change and calls poll() at nextDeadline().
//
// A tap is reported on the press itself, not after the double-tap window: a looper must act on the
// press, so a press just before the downbeat still lands on it. A second press within doubleTapMs of
// the first is a double tap instead of a second tap; a press held for holdMs is a hold (after its tap).
// Times are in ms on any monotonic clock.

export type Gesture = 'tap' | 'doubleTap' | 'hold';

export interface GestureTimes {
  /** the longest gap between two presses that makes a double tap */
  doubleTapMs: number;
  /** how long a press must last to be a hold */
  holdMs: number;
}

export const DEFAULT_GESTURE_TIMES: GestureTimes = { doubleTapMs: 400, holdMs: 1000 };

export class GestureDetector {
  private pressed = false;
  /** when the last press that can still start a double tap happened */
  private lastTapAt: number | undefined;
  /** when the current press becomes a hold */
  private holdAt: number | undefined;

  constructor(readonly times: GestureTimes = DEFAULT_GESTURE_TIMES) {}

  /** A level change (repeated levels are ignored, like a debounced input's duplicates). */
  level(pressed: boolean, now: number): Gesture[] {
    if (pressed === this.pressed) return [];
    this.pressed = pressed;
    return pressed ? this.press(now) : this.release();
  }

  /** Gestures that are due by `now` without a level change (a hold). */
  poll(now: number): Gesture[] {
    if (this.holdAt === undefined || now < this.holdAt) return [];
    this.holdAt = undefined;
    // a press after a hold starts afresh
    this.lastTapAt = undefined;
    return ['hold'];
  }

  /** When poll() has something to report next, or undefined. */
  nextDeadline(): number | undefined {
    return this.holdAt;
  }

  get isPressed(): boolean {
    return this.pressed;
  }

  private press(now: number): Gesture[] {
    this.holdAt = now + this.times.holdMs;
    if (this.lastTapAt !== undefined && now - this.lastTapAt <= this.times.doubleTapMs) {
      this.lastTapAt = undefined;
      return ['doubleTap'];
    }
    this.lastTapAt = now;
    return ['tap'];
  }

  private release(): Gesture[] {
    this.holdAt = undefined;
    return [];
  }
}
