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

/** A run of captured frames in which the counter advances by one per frame. */
export interface Segment {
  /** First captured frame of the run. */
  at: number;
  frames: number;
  /** Captured frame minus the played frame (the latest one the counter allows): the round trip. */
  latency: number;
}

export interface LoopbackAnalysis {
  capturedFrames: number;
  /** Captured frame where a non-zero counter first appears (-1: never). */
  firstSignalAt: number;
  /** Round trip measured from the clicks: the latency most clicks agree on (-1: no click came back). */
  clickLatency: number;
  clicksFound: number;
  /** Clicks at another latency than clickLatency: something was dropped, repeated or stale. */
  clicksMisplaced: number;
  /** Counter runs: exactly one, starting at clickLatency, for a clean stream. */
  segments: Segment[];
  /** Zero frames after the signal first appeared: dropouts. */
  lostFrames: number;
}

/** Finds the signal in a capture of interleaved stereo int16. */
export function analyseLoopback(capture: Buffer): LoopbackAnalysis {
  const frames = capture.length >> 2;
  const segments: Segment[] = [];
  const clickLatencies = new Map<number, number>();
  let firstSignalAt = -1;
  let lostFrames = 0;
  let previous = 0;
  for (let i = 0; i < frames; i++) {
    const v = capture.readUInt16LE(i * 4);
    if (v === 0) {
      if (firstSignalAt >= 0) lostFrames++;
    } else {
      if (firstSignalAt < 0) firstSignalAt = i;
      const current = segments.at(-1);
      if (current && previous !== 0 && v === (previous % COUNTER_PERIOD) + 1) current.frames++;
      else segments.push({ at: i, frames: 1, latency: i - (v - 1 + COUNTER_PERIOD * Math.floor((i - (v - 1)) / COUNTER_PERIOD)) });
      const click = capture.readInt16LE(i * 4 + 2);
      if (click !== 0) {
        const latency = i - (click - CLICK_BASE) * CLICK_SPACING;
        clickLatencies.set(latency, (clickLatencies.get(latency) ?? 0) + 1);
      }
    }
    previous = v;
  }
  let clickLatency = -1;
  let clicksFound = 0;
  let best = 0;
  for (const [latency, count] of clickLatencies) {
    clicksFound += count;
    if (count > best) [best, clickLatency] = [count, latency];
  }
  return {
    capturedFrames: frames,
    firstSignalAt,
    clickLatency,
    clicksFound,
    clicksMisplaced: clicksFound - best,
    segments,
    lostFrames,
  };
}
