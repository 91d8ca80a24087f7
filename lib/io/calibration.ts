// Latency calibration by loopback: the host plays a pattern of clicks and listens for it on the input
// (a cable from output to input, or the PulseAudio null sink's monitor source). The round trip, in
// engine frames, is what the engine's inputLatencyFrames compensates.
//
// Why a pattern and not one click: on the PulseAudio sink, audio of a process that exited earlier came
// back several times (docs/audio.md), so a lone click found on the input may not be ours. The
// gaps between clicks are random for every run; only a round trip at which most of *this run's* clicks
// line up is accepted, and it must clearly beat any other candidate.
//
// Control side, pure: no I/O, no timers. The host feeds it device blocks (int16 interleaved stereo).

/** Clicks per calibration: enough that a majority cannot happen by chance. */
export const CALIBRATION_CLICKS = 8;
/** A click: CLICK_FRAMES frames at CLICK_LEVEL, both channels (a square pulse is easy to find in noise). */
const CLICK_FRAMES = 8;
const CLICK_LEVEL = 16384;
/** Matches within this many frames count as the same round trip (real converters smear an edge). */
const TOLERANCE_FRAMES = 2;
/** An onset is the first loud frame after this much quiet, so a click's ringing is not a second click. */
const REFRACTORY_SECONDS = 0.04;

export interface ClickPattern {
  /** engine frames at which the clicks start, ascending */
  frames: number[];
  /** the largest round trip looked for */
  maxRoundTripFrames: number;
  /** first frame after the capture window: the last click plus maxRoundTripFrames plus the click */
  endFrame: number;
}

export interface CalibrationAnalysis {
  ok: boolean;
  roundTripFrames: number;
  matched: number;
  clicks: number;
  /** why it failed, for the reply */
  reason?: string;
}

/**
 * A pattern starting at `startFrame`: gaps drawn from [0.12 s, 0.24 s) by `random` (Math.random live, a
 * seeded one in tests), so consecutive runs, or another process's leftovers, never share it.
 */
export function makeClickPattern(
  sampleRate: number,
  startFrame: number,
  random: () => number,
  maxRoundTripFrames = Math.round(sampleRate / 2),
): ClickPattern {
  const frames: number[] = [];
  let at = startFrame;
  for (let i = 0; i < CALIBRATION_CLICKS; i++) {
    frames.push(at);
    at += Math.round(sampleRate * (0.12 + 0.12 * random()));
  }
  const last = frames[frames.length - 1];
  return { frames, maxRoundTripFrames, endFrame: last + maxRoundTripFrames + CLICK_FRAMES };
}

/**
 * Writes the block of the pattern that covers [blockStart, blockStart + frames) into `out` (silence
 * elsewhere): int16 device samples, or float32 ones (full scale 1) for a float device. The click is on
 * every one of the `channels` interleaved outputs: whichever output is wired back, it carries the click.
 */
export function renderPattern(pattern: ClickPattern, blockStart: number, frames: number, out: Int16Array | Float32Array, channels = 2): void {
  const level = out instanceof Float32Array ? CLICK_LEVEL / 32767 : CLICK_LEVEL;
  out.fill(0, 0, frames * channels);
  for (const at of pattern.frames) {
    const from = Math.max(at, blockStart);
    const to = Math.min(at + CLICK_FRAMES, blockStart + frames);
    if (from < to) out.fill(level, (from - blockStart) * channels, (to - blockStart) * channels);
  }
}

/** The captured input between the pattern's first frame and its endFrame, as a per-frame envelope. */
export class CalibrationCapture {
  /** the loudest input channel per frame, frame 0 = pattern.frames[0] */
  readonly envelope: Int32Array;
  private filled = 0;

  constructor(readonly pattern: ClickPattern) {
    this.envelope = new Int32Array(pattern.endFrame - pattern.frames[0]);
  }

  get complete(): boolean {
    return this.filled >= this.envelope.length;
  }

  /**
   * Takes one input block that starts at engine frame blockStart: `channels` interleaved channels (the
   * click may come back on any of them), int16 device samples or float32 ones (full scale 1, measured on
   * the same int16 scale).
   */
  add(input: Int16Array | Float32Array, blockStart: number, frames: number, channels = 2): void {
    const origin = this.pattern.frames[0];
    const scale = input instanceof Float32Array ? 32768 : 1;
    for (let j = 0; j < frames; j++) {
      const k = blockStart + j - origin;
      if (k < 0 || k >= this.envelope.length) continue;
      let peak = 0;
      for (let c = 0; c < channels; c++) peak = Math.max(peak, Math.abs(input[j * channels + c]));
      this.envelope[k] = Math.round(peak * scale);
      this.filled = Math.max(this.filled, k + 1);
    }
  }

  analyse(sampleRate: number): CalibrationAnalysis {
    return analyseCalibration(this.envelope, this.pattern, sampleRate);
  }
}

/** Onsets in an envelope: the first frame at or above the threshold after REFRACTORY_SECONDS of quiet. */
export function findOnsets(envelope: Int32Array, sampleRate: number): number[] {
  let peak = 0;
  for (let i = 0; i < envelope.length; i++) if (envelope[i] > peak) peak = envelope[i];
  // relative to the loudest thing heard, but never so low that hiss counts (200 ~ -44 dBFS)
  const threshold = Math.max(200, Math.round(peak * 0.3));
  const refractory = Math.round(REFRACTORY_SECONDS * sampleRate);
  const onsets: number[] = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < envelope.length; i++) {
    if (envelope[i] < threshold) continue;
    if (i - lastLoud > refractory) onsets.push(i);
    lastLoud = i;
  }
  return onsets;
}

/**
 * The round trip at which most of the pattern's clicks have an onset, if it is clear: at least 3/4 of
 * the clicks, and no other round trip (more than the tolerance away) with half as many.
 */
export function analyseCalibration(envelope: Int32Array, pattern: ClickPattern, sampleRate: number): CalibrationAnalysis {
  const origin = pattern.frames[0];
  const clicks = pattern.frames.length;
  const onsets = findOnsets(envelope, sampleRate);
  const fail = (reason: string, roundTripFrames = -1, matched = 0): CalibrationAnalysis => ({ ok: false, roundTripFrames, matched, clicks, reason });
  if (onsets.length === 0) {
    return fail('nothing came back on the input: connect the output to the input (or let a microphone hear the speaker) and raise the input level');
  }
  // every (onset, click) pair proposes a round trip; each click votes at most once per round trip
  const candidates = new Set<number>();
  for (const o of onsets) {
    for (const c of pattern.frames) {
      const rt = o - (c - origin);
      if (rt >= 0 && rt <= pattern.maxRoundTripFrames) candidates.add(rt);
    }
  }
  const support = (rt: number): number[] => {
    const found: number[] = [];
    for (const c of pattern.frames) {
      const expected = c - origin + rt;
      const hit = onsets.find((o) => Math.abs(o - expected) <= TOLERANCE_FRAMES);
      if (hit !== undefined) found.push(hit - (c - origin));
    }
    return found;
  };
  let best: number[] = [];
  let bestRt = -1;
  for (const rt of candidates) {
    const s = support(rt);
    if (s.length > best.length) [best, bestRt] = [s, rt];
  }
  const sorted = [...best].sort((a, b) => a - b);
  const roundTrip = sorted[Math.floor(sorted.length / 2)] ?? -1;
  let rival = 0;
  for (const rt of candidates) {
    if (Math.abs(rt - bestRt) > 2 * TOLERANCE_FRAMES) rival = Math.max(rival, support(rt).length);
  }
  const needed = Math.ceil((clicks * 3) / 4);
  if (best.length < needed) {
    return fail(
      `only ${best.length} of ${clicks} clicks came back at one round trip (need ${needed}): the loopback is too quiet, too noisy, or not connected`,
      roundTrip,
      best.length,
    );
  }
  if (rival * 2 >= best.length) {
    return fail(`two round trips fit the clicks (${best.length} and ${rival} clicks): something else on the input sounds like them`, roundTrip, best.length);
  }
  return { ok: true, roundTripFrames: roundTrip, matched: best.length, clicks };
}
