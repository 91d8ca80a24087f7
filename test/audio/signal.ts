// The loopback test signal and its analysis. Stereo int16 at engine frame k:
//   left  = a counter, (k mod 65535) + 1 as a 16-bit pattern: never 0, so silence is never mistaken
//           for signal, and every frame names itself (a repeated or dropped segment shows).
//   right = a click every CLICK_SPACING frames, amplitude CLICK_BASE + click index, 0 elsewhere:
//           the click pattern the round trip is measured with.
// PulseAudio passes s16 through unchanged when the sink runs at the stream's rate at 100% volume.

export const CLICK_SPACING = 4800;
export const CLICK_BASE = 1000;
const COUNTER_PERIOD = 65535;

function counterAt(k: number): number {
  const v = (k % COUNTER_PERIOD) + 1;
  return v > 32767 ? v - 65536 : v;
}

/** Block n (framesPerBuffer frames) of the signal, interleaved stereo int16. */
export function makeTestBlock(n: number, framesPerBuffer: number): Buffer {
  const buf = Buffer.alloc(framesPerBuffer * 4);
  for (let j = 0; j < framesPerBuffer; j++) {
    const k = n * framesPerBuffer + j;
    buf.writeInt16LE(counterAt(k), j * 4);
    buf.writeInt16LE(k % CLICK_SPACING === 0 ? CLICK_BASE + k / CLICK_SPACING : 0, j * 4 + 2);
  }
  return buf;
}

/** A run of captured frames that all came back with the same latency. */
export interface Segment {
  /** First captured frame of the run. */
  at: number;
  frames: number;
  /** Captured frame minus the engine frame that was played: the round trip, in frames. */
  latency: number;
}

export interface LoopbackAnalysis {
  capturedFrames: number;
  /** Captured frame where the signal first appears (-1: never). */
  firstSignalAt: number;
  /** Round trip measured from the clicks (captured frame minus played frame), -1 if none was found. */
  clickLatency: number;
  clicksFound: number;
  /** Clicks whose latency differs from the first click's. */
  clicksMisplaced: number;
  /** Runs of constant latency after the signal starts: exactly 1 for a clean stream. */
  segments: Segment[];
  /** Frames of silence (or garbage) after the signal started: dropouts. */
  lostFrames: number;
}

/** Finds the signal in a capture of interleaved stereo int16. */
export function analyseLoopback(capture: Buffer): LoopbackAnalysis {
  const frames = capture.length >> 2;
  const left = (i: number) => capture.readUInt16LE(i * 4);
  const right = (i: number) => capture.readInt16LE(i * 4 + 2);
  const segments: Segment[] = [];
  let firstSignalAt = -1;
  let lostFrames = 0;
  let clickLatency = -1;
  let clicksFound = 0;
  let clicksMisplaced = 0;
  let current: Segment | undefined;
  for (let i = 0; i < frames; i++) {
    const v = left(i);
    if (v === 0) {
      if (firstSignalAt >= 0) lostFrames++;
      current = undefined;
      continue;
    }
    if (firstSignalAt < 0) firstSignalAt = i;
    // Unwrap the counter: the played frame k with this value nearest the last latency, or at first
    // the latest k that could have been played by now.
    const last = current ?? segments.at(-1);
    const k = last
      ? v - 1 + COUNTER_PERIOD * Math.round((i - last.latency - (v - 1)) / COUNTER_PERIOD)
      : v - 1 + COUNTER_PERIOD * Math.floor((i - (v - 1)) / COUNTER_PERIOD);
    const latency = i - k;
    if (current && current.latency === latency) current.frames++;
    else segments.push((current = { at: i, frames: 1, latency }));
    const click = right(i);
    if (click !== 0) {
      const clickLat = i - (click - CLICK_BASE) * CLICK_SPACING;
      clicksFound++;
      if (clickLatency < 0) clickLatency = clickLat;
      else if (clickLat !== clickLatency) clicksMisplaced++;
    }
  }
  return { capturedFrames: frames, firstSignalAt, clickLatency, clicksFound, clicksMisplaced, segments, lostFrames };
}
