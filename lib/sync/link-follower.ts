import { commandRequest, CommandRequest } from '../control/commands';
import { LIMITS } from '../engine/types';
import type { HostEvent } from '../io/protocol';
import { phaseOf } from './link/timeline';

// The engine following a Link session, as a pure class fed with the engine's beat and tempo events
// and the time (µs, this machine's monotonic clock) each beat event arrived. No sockets, no timers.
//
// Frames to time: the host sends a beat event when its frame is heard (it holds events for its
// output latency), so arrival = heard time + a small delivery delay that is never negative. The least
// of (arrival - frame / rate) over the recent beats is the heard time of frame 0: FrameClock.
//
// Each beat k steers beat k + 2. Beat k + 1 is already set (its tempo took effect at k); the Link beat
// nearest to it is L, and beat k + 2 should sound when the session reaches L + 1. The tempo from
// k + 1 is chosen so that it does, to the frame: one 'bpm' command per beat while the beats are off
// by more than TOLERANCE_MS (LENGTH_TOLERANCE_MS while a loop is recorded), none once they are on.
// With the beats locked, bar lines too: when the Link beat L is a bar line (L mod beatsPerBar = 0)
// and the engine's beat k + 1 is not, a 'downbeat' command moves the engine's bar there.

type BeatEvent = Extract<HostEvent, { type: 'beat' }>;
type TempoEvent = Extract<HostEvent, { type: 'tempo' }>;

/** The session as the follower reads it (LinkPeer). Times in µs on the same clock as the arrivals. */
export interface SessionTimeline {
  readonly tempo: number;
  beatAt(host: number): number;
  timeAtBeat(beat: number): number;
}

/** Beats closer than this to the session's are left alone. */
export const TOLERANCE_MS = 0.25;
/**
 * While a loop's length is being set (recording, multiplying, inserting), beats this close are left
 * alone: a correction then would go into the loop's length, and a loop longer or shorter than whole
 * session bars moves off the session's bar lines at every repeat.
 */
export const LENGTH_TOLERANCE_MS = 1;
/** Once beats are this close, the bar lines are moved onto the session's. */
export const DOWNBEAT_LOCK_MS = 20;
/** Beats whose arrivals FrameClock keeps. */
export const FRAME_CLOCK_WINDOW = 16;
/** A correction changes one beat's length by at most this fraction (a half-beat shift at most). */
const MAX_STRETCH = 0.5;

export class FrameClock {
  private readonly offsets: number[] = [];
  private lastFrame = -1;

  constructor(readonly sampleRate: number, readonly window = FRAME_CLOCK_WINDOW) {}

  get isKnown(): boolean {
    return this.offsets.length > 0;
  }

  /** Frame `frame` was heard, at the latest, at `arrived` (µs). */
  observe(frame: number, arrived: number): void {
    // frames that go back: a new host
    if (frame < this.lastFrame) this.offsets.length = 0;
    this.lastFrame = frame;
    this.offsets.push(arrived - (frame * 1e6) / this.sampleRate);
    if (this.offsets.length > this.window) this.offsets.shift();
  }

  reset(): void {
    this.offsets.length = 0;
    this.lastFrame = -1;
  }

  private get origin(): number {
    let m = Infinity;
    for (const o of this.offsets) if (o < m) m = o;
    return m;
  }

  /** When frame `frame` is heard (µs). */
  heardAt(frame: number): number {
    return this.origin + (frame * 1e6) / this.sampleRate;
  }

  /** The frame heard at `time` (µs, fractional). */
  frameAt(time: number): number {
    return ((time - this.origin) * this.sampleRate) / 1e6;
  }
}

/** What a beat msg says of the session: the Link beat at the moment the engine's beat was heard. */
export interface LinkBeat {
  /** the engine's beat index this is about */
  engineBeat: number;
  /** the session's beat (fractional) when the engine's beat sounded */
  beat: number;
  /** where in the session's bar of beatsPerBar beats */
  phase: number;
  tempo: number;
  /** the engine's beat against the nearest session beat, ms: positive when ours is late */
  phaseErrorMs: number;
}

export interface FollowerStep {
  commands: CommandRequest[];
  link: LinkBeat;
}

export class LinkFollower {
  readonly clock: FrameClock;
  private bpm: number;
  private beatsPerBar: number;
  /** a loop's length is being set, or is about to be: only corrections beyond LENGTH_TOLERANCE_MS */
  settingLength = false;
  /** the last tempo sent, exactly: tempo events carry it rounded to 0.001 */
  private sentBpm: number | undefined;

  constructor(readonly sampleRate: number, bpm: number, beatsPerBar: number, private readonly tracks: number) {
    this.clock = new FrameClock(sampleRate);
    this.bpm = bpm;
    this.beatsPerBar = beatsPerBar;
  }

  /** The engine (re)started with these: what it plays before any tempo event. */
  restart(bpm: number, beatsPerBar: number): void {
    this.bpm = bpm;
    this.beatsPerBar = beatsPerBar;
    this.clock.reset();
  }

  /** A tempo sent to the engine by someone else (LinkSync on a session tempo change): its event will carry it rounded. */
  expectTempo(bpm: number): void {
    this.sentBpm = bpm;
  }

  /** Tempo events come before the beat at the same frame: the tempo from that beat on. */
  tempo(e: TempoEvent): void {
    this.bpm = this.sentBpm !== undefined && Math.abs(e.bpm - this.sentBpm) < 0.0005 ? this.sentBpm : e.bpm;
    this.beatsPerBar = e.beatsPerBar;
  }

  get quantum(): number {
    return this.beatsPerBar;
  }

  /** The engine's beat `e`, whose event arrived at `arrived` (µs): what to send so the next beats land on the session's. */
  beat(e: BeatEvent, arrived: number, session: SessionTimeline): FollowerStep {
    const sr = this.sampleRate;
    this.clock.observe(e.frame, arrived);
    const heard = this.clock.heardAt(e.frame);
    const sessionBeat = session.beatAt(heard);
    const sessionPeriod = (60 * sr) / session.tempo;
    const link: LinkBeat = {
      engineBeat: e.beat,
      beat: sessionBeat,
      phase: phaseOf(sessionBeat, this.beatsPerBar),
      tempo: session.tempo,
      phaseErrorMs: ((sessionBeat - Math.round(sessionBeat)) * 60000) / session.tempo,
    };

    const period = (60 * sr) / this.bpm;
    const next = e.frame + period;
    const nextSessionBeat = session.beatAt(this.clock.heardAt(next));
    const target = Math.round(nextSessionBeat);
    const targetFrame = this.clock.frameAt(session.timeAtBeat(target + 1));
    const error = next + period - targetFrame;
    const tolerance = ((this.settingLength ? LENGTH_TOLERANCE_MS : TOLERANCE_MS) * sr) / 1000;
    const commands: CommandRequest[] = [];
    let wanted: number | undefined;
    if (Math.abs(error) > tolerance) {
      const length = Math.min(sessionPeriod * (1 + MAX_STRETCH), Math.max(sessionPeriod * (1 - MAX_STRETCH), targetFrame - next));
      wanted = (60 * sr) / length;
    } else if (Math.abs(this.bpm - session.tempo) > 1e-9) {
      wanted = session.tempo;
    }
    if (wanted !== undefined) {
      const bpm = Math.min(LIMITS.bpm[1], Math.max(LIMITS.bpm[0], wanted));
      this.sentBpm = bpm;
      // any frame up to beat k + 1 makes the new tempo start there; the host clamps a past frame to now
      commands.push({ ...commandRequest('bpm', 0, bpm, this.tracks), frame: e.frame + 1 });
    }
    const nextOff = Math.abs(nextSessionBeat - target) * (60000 / session.tempo);
    const n = this.beatsPerBar;
    if (nextOff < DOWNBEAT_LOCK_MS && phaseOf(target, n) === 0 && (e.beatInBar + 1) % n !== 0) {
      commands.push({ ...commandRequest('downbeat', 0, undefined, this.tracks), frame: e.frame + 1 });
    }
    return { commands, link };
  }
}
