import { StartStopState, Timeline } from './codec';

// The math of a Link session, pure: no clock, no network.
//
// Three clocks meet here. Host time is this machine's monotonic clock (µs). Ghost time is the session's
// shared clock: every peer keeps ghost = host + offset, with the offset measured against the session
// by ping-pong. The timeline maps ghost time to beats; a bar (at quantum q) starts where beat mod q = 0,
// the same ghost instant on every peer.

export const MICROS_PER_MINUTE = 60e6;

export function bpmOf(t: Timeline): number {
  return MICROS_PER_MINUTE / t.microsPerBeat;
}

export function microsPerBeatOf(bpm: number): number {
  return Math.round(MICROS_PER_MINUTE / bpm);
}

/** The beat (fractional) at ghost time `ghost`. */
export function beatAtGhost(t: Timeline, ghost: number): number {
  return t.beatOrigin / 1e6 + (ghost - t.timeOrigin) / t.microsPerBeat;
}

/** The ghost time (µs, fractional) at which `beat` falls. */
export function ghostAtBeat(t: Timeline, beat: number): number {
  return t.timeOrigin + (beat - t.beatOrigin / 1e6) * t.microsPerBeat;
}

/** Where `beat` is in its bar of `quantum` beats: 0 <= phase < quantum. */
export function phaseOf(beat: number, quantum: number): number {
  return ((beat % quantum) + quantum) % quantum;
}

/** A new tempo from ghost time `ghost` on; the beat at that instant is unchanged. */
export function withTempo(t: Timeline, bpm: number, ghost: number): Timeline {
  return {
    microsPerBeat: microsPerBeatOf(bpm),
    beatOrigin: Math.round(beatAtGhost(t, ghost) * 1e6),
    timeOrigin: Math.round(ghost),
  };
}

export function sameTimeline(a: Timeline, b: Timeline): boolean {
  return a.microsPerBeat === b.microsPerBeat && a.beatOrigin === b.beatOrigin && a.timeOrigin === b.timeOrigin;
}

export function sameStartStop(a: StartStopState, b: StartStopState): boolean {
  return a.isPlaying === b.isPlaying && a.beats === b.beats && a.timestamp === b.timestamp;
}

/**
 * The offsets (ghost - host, µs) one pong gives. A ping sent at host time `sentAt` and answered at
 * their ghost time `ghost` comes back at host time `now`: their answer fell, at best guess, half way,
 * so offset = ghost - (sentAt + now) / 2. The previous pong's ghost time, when the ping carried it,
 * brackets the send from the other side: offset = (prevGhost + ghost) / 2 - sentAt.
 */
export function offsetSamples(sentAt: number, now: number, ghost: number, prevGhost?: number): number[] {
  const samples = [ghost - (sentAt + now) / 2];
  if (prevGhost !== undefined) samples.push((prevGhost + ghost) / 2 - sentAt);
  return samples;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no values');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The interquartile range: how far apart the middle half of `values` lies (one late wake-up does not count). */
export function middleHalfSpread(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length * 3) / 4)] - s[Math.floor(s.length / 4)];
}

/** Node ids compared as unsigned bytes: the tie-break between two sessions of the same age. */
export function compareIds(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}
