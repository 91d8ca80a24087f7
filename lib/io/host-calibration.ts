import { CalibrationCapture, ClickPattern, makeClickPattern, renderPattern } from './calibration';
import type { CalibrationResult } from './protocol';

// The host's latency calibration: a click pattern played in place of the output, found again on the
// input (calibration.ts), up to CALIBRATION_ATTEMPTS times. The host feeds it every block (hearInput,
// play); it asks the host whether a measurement may run now and whether its result may be used.

/** An xrun during a measurement moves the round trip and splits the clicks: measure again. */
const CALIBRATION_ATTEMPTS = 3;

/** The pattern was not found clearly: worth another attempt (unlike a device that is not running). */
class CalibrationMiss extends Error {}

interface Attempt {
  pattern: ClickPattern;
  capture: CalibrationCapture;
  resolve(result: CalibrationResult): void;
  reject(err: Error): void;
}

export interface CalibrationHost {
  /** why no measurement can run now (no device, a track recording), or undefined */
  whyNot(): string | undefined;
  /** the first frame the pattern may start at: the next block the host renders */
  nextFrame(): number;
  /** uses the round trip unless that would move a pass in progress; says whether it did */
  apply(roundTripFrames: number): boolean;
}

export class HostCalibration {
  private attempt: Attempt | undefined;
  private running = false;

  constructor(
    private readonly sampleRate: number,
    private readonly host: CalibrationHost,
  ) {}

  /** Plays a click pattern and finds it on the input, up to CALIBRATION_ATTEMPTS times. */
  async measure(): Promise<CalibrationResult> {
    if (this.running) throw new Error('a calibration is already running');
    this.running = true;
    try {
      let lastError: Error | undefined;
      for (let n = 1; n <= CALIBRATION_ATTEMPTS; n++) {
        try {
          return await this.measureOnce();
        } catch (err) {
          lastError = err as Error;
          if (!(err instanceof CalibrationMiss)) throw err;
        }
      }
      throw new Error(`${lastError?.message} (${CALIBRATION_ATTEMPTS} attempts)`);
    } finally {
      this.running = false;
    }
  }

  /**
   * A block of input (float32 interleaved stereo) that starts at blockStart: captured while a pattern
   * plays. True: the input is the pattern, not music, and the engine should hear silence instead.
   */
  hearInput(input: Float32Array, blockStart: number, frames: number, channels: number): boolean {
    if (!this.attempt) return false;
    this.attempt.capture.add(input, blockStart, frames, channels);
    return true;
  }

  /** The pattern in place of the block just rendered (it started at blockStart); the measurement ends once all was heard. */
  play(out: Int16Array | Float32Array, blockStart: number, frames: number, channels: number): void {
    const a = this.attempt;
    if (!a) return;
    renderPattern(a.pattern, blockStart, frames, out, channels);
    if (a.capture.complete) this.finish(a);
  }

  /** Ends a measurement in progress with `reason` (the device failed, the host quits). */
  cancel(reason: string): void {
    this.attempt?.reject(new Error(reason));
    this.attempt = undefined;
  }

  private measureOnce(): Promise<CalibrationResult> {
    const why = this.host.whyNot();
    if (why !== undefined) return Promise.reject(new Error(why));
    const pattern = makeClickPattern(this.sampleRate, this.host.nextFrame(), Math.random);
    return new Promise((resolve, reject) => {
      this.attempt = { pattern, capture: new CalibrationCapture(pattern), resolve, reject };
    });
  }

  private finish(a: Attempt): void {
    this.attempt = undefined;
    const result = a.capture.analyse(this.sampleRate);
    if (!result.ok) {
      a.reject(new CalibrationMiss(result.reason ?? 'the click pattern was not found'));
      return;
    }
    const applied = this.host.apply(result.roundTripFrames);
    a.resolve({ inputLatencyFrames: result.roundTripFrames, matched: result.matched, clicks: result.clicks, applied });
  }
}
