import type { HostEvent } from '../../../lib/io/protocol';
import { TOLERANCE_MS } from '../../../lib/sync/link-follower';
import type { LinkSync } from '../../../lib/sync/link-sync';
import { LinkPeer } from '../../../lib/sync/link/peer';
import { phaseOf } from '../../../lib/sync/link/timeline';
import { hostMicros } from '../../../lib/sync/link/udp';
import { HeardBeat, LinkedEngine } from './linked-engine';
import { TestPeer } from './peers';

// Waits and measures shared by the interop scenarios and the bench, and the two-loopers run itself
// (a scenario, and a bench case).

export const QUANTUM = 4;

export async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

/*
 * Which session two peers settle in, without waiting for one to be older. A session's id is its
 * founder's node id; two sessions less than 500 ms apart in age are ranked by id, the lower winning
 * (docs/link.md). Node ids are 8 bytes of printable ASCII, '!' (33) to '~' (126), from ours and from the
 * Link library alike: a peer of ours with the highest id there is loses every such tie, one with the
 * lowest wins it, whenever the other started (the library draws the very same id once in 94^8).
 */
export const LOSES_TIES = '~~~~~~~~';
export const WINS_TIES = '!!!!!!!!';

/** LinkPeer's `random` for a peer whose node ids are `ids`, in turn (the last one again after that). */
export function nodeIds(...ids: string[]): () => number {
  let n = 0;
  return () => {
    const id = ids[Math.min(Math.floor(n / 8), ids.length - 1)];
    const c = id.charCodeAt(n++ % 8);
    // LinkPeer makes byte 33 + floor(random() * 94)
    return (c - 33 + 0.5) / 94;
  };
}

/**
 * Phase error (ms) of `ours` against the test peer at `samples` instants 10 ms apart, from now on:
 * both read the beat at the same host time (a time still to come is fine: a session's beat is a
 * function of the time), so nothing waits for the instants to pass.
 */
export async function phaseErrors(ref: TestPeer, ours: LinkPeer, samples = 20): Promise<number[]> {
  const errors: number[] = [];
  const from = hostMicros();
  for (let i = 0; i < samples; i++) {
    const at = from + i * 10_000;
    const theirs = await ref.beatAt(at);
    const d = phaseOf(ours.beatAt(at) - theirs + QUANTUM / 2, QUANTUM) - QUANTUM / 2;
    errors.push((d * 60000) / ours.tempo);
  }
  return errors;
}

export const stats = (v: number[]): { median: number; max: number } => {
  const s = v.map(Math.abs).sort((a, b) => a - b);
  return { median: s[s.length >> 1], max: s[s.length - 1] };
};

/** Waits until `engine` has `count` beats more than it has now. */
export async function moreBeats(engine: LinkedEngine, count: number, ms = 30000): Promise<HeardBeat[]> {
  const from = engine.beats.length;
  await until(() => engine.beats.length >= from + count, ms, `${count} engine beats`);
  return engine.beats.slice(from, from + count);
}

/** The engine is locked when its last `n` beats were within 1 ms of the session's (its own view). */
export const locked = (engine: LinkedEngine, n = 4): boolean => engine.beats.length >= n && engine.beats.slice(-n).every((b) => Math.abs(b.link?.phaseErrorMs ?? Infinity) < 1);

/**
 * Sends `command` (track 1) to each engine when the other's click reaches `beatInBar`: a's command on
 * b's beat, b's on a's. Resolves when both are sent.
 */
export function onEachOthersBeat(a: LinkedEngine, b: LinkedEngine, beatInBar: number, command: 'record'): Promise<void[]> {
  const on = (clock: LinkedEngine, target: LinkedEngine): Promise<void> =>
    new Promise((resolve) => {
      const listener = (e: Extract<HostEvent, { type: 'beat' }>): void => {
        if (e.beatInBar !== beatInBar) return;
        clock.connection.off('beat', listener);
        target.connection.send({ type: 'command', command, track: 1 });
        resolve();
      };
      clock.connection.on('beat', listener);
    });
  return Promise.all([on(b, a), on(a, b)]);
}

export interface TwoLoopers {
  /** each loop's length in frames */
  loopFrames: number[];
  /** per looper, the session bar (of QUANTUM beats) of each loop start: record start, first and second repeat */
  bars: number[][];
  /** per looper, each start's distance from the session's bar line, ms (positive: late) */
  offBarMs: number[][];
  /** each start of b's loop against a's, ms */
  apartMs: number[];
  /** how far each looper's session beat is from the library's (max over 10 instants), ms */
  clockMs: number[];
  /** one engine block, ms: the frame clock's grain (beat events come a block at a time) */
  blockMs: number;
  followerToleranceMs: number;
}

/**
 * Two loopers in the Link library's session, quantize on bar: each records a loop when the other's
 * click reaches beat 2 of a bar (so both wait for the same bar line), and stops it the same way a bar
 * later. Every start of each loop (record start, first and second repeat) against the library's bar
 * lines at the instant it sounds, and the two loopers against each other.
 */
export async function twoLoopers(binary: string): Promise<TwoLoopers> {
  const ref = new TestPeer(binary, 120);
  await ref.status();
  // both loopers join the library's session: each loses the tie against it (and a the one against b)
  const config = { quantize: 'bar' as const };
  const a = new LinkedEngine(100, config, nodeIds(LOSES_TIES));
  const b = new LinkedEngine(90, config, nodeIds('~~~~~~~}'));
  await a.start();
  await b.start();
  try {
    const bothIn = (): boolean => [a, b].every((e) => e.sync?.peer.peerCount === 2 && Math.abs(e.sync.peer.tempo - 120) < 0.01);
    await until(() => bothIn() && locked(a) && locked(b), 30000, 'both loopers lock onto the library\'s session');
    // what the clocks agree to: each peer's session beat against the library's at the same instants
    const clockA = stats(await phaseErrors(ref, (a.sync as LinkSync).peer, 10));
    const clockB = stats(await phaseErrors(ref, (b.sync as LinkSync).peer, 10));
    await onEachOthersBeat(a, b, 1, 'record');
    // wait into the bar after the one recorded, then stop both the same way: a loop of 2 bars
    await moreBeats(a, 5);
    await onEachOthersBeat(a, b, 1, 'record');
    const loopOf = (e: LinkedEngine): { start: number; frames: number } => {
      const rec = e.states.find((s) => s.track === 1 && s.state === 'recording');
      const play = e.states.find((s) => s.track === 1 && s.state === 'playing');
      if (!rec || !play) throw new Error('no loop recorded');
      return { start: rec.frame, frames: play.frames };
    };
    await until(() => [a, b].every((e) => e.states.some((s) => s.track === 1 && s.state === 'playing')), 10000, 'both loops play');
    const loops = [loopOf(a), loopOf(b)];
    // until both have played their loops' second repeat
    await until(() => [a, b].every((e, i) => (e.beats[e.beats.length - 1]?.frame ?? 0) > loops[i].start + 2 * loops[i].frames), 20000, 'two repeats of each loop');
    const starts = await Promise.all(
      [a, b].map(async (e, i) => {
        const out: { bar: number; offMs: number; heard: number }[] = [];
        for (let k = 0; k < 3; k++) {
          const heard = (e.sync as LinkSync).heardAt(loops[i].start + k * loops[i].frames) as number;
          const beat = await ref.beatAt(heard);
          const bar = Math.round(beat / QUANTUM);
          out.push({ bar, offMs: ((beat - bar * QUANTUM) * 60000) / 120, heard });
        }
        return out;
      }),
    );
    const r3 = (x: number): number => Math.round(x * 1000) / 1000;
    return {
      loopFrames: loops.map((l) => l.frames),
      bars: starts.map((s) => s.map((x) => x.bar)),
      offBarMs: starts.map((s) => s.map((x) => r3(x.offMs))),
      apartMs: starts[0].map((x, k) => r3((starts[1][k].heard - x.heard) / 1000)),
      clockMs: [r3(clockA.max), r3(clockB.max)],
      blockMs: (1000 * a.connection.config.blockFrames) / a.connection.config.sampleRate,
      followerToleranceMs: TOLERANCE_MS,
    };
  } finally {
    await b.stop();
    await a.stop();
    await ref.quit();
  }
}
