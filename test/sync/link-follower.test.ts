import { strict as assert } from 'assert';
import { Transport } from '../../lib/engine/transport';
import { FrameClock, LENGTH_TOLERANCE_MS, LinkFollower, SessionTimeline, TOLERANCE_MS } from '../../lib/sync/link-follower';

// The engine following a Link session, simulated: the engine's beat grid is the engine's own
// Transport, commands act as the engine applies them (from the next beat after the frame the host
// has rendered to), and beat events arrive when heard plus a delivery delay. No clock, no network.

const SR = 48000;
const HEARD_AT_FRAME_0 = 5_000_000; // µs
const SOUND_DELAY_FRAMES = 1024;

class Session implements SessionTimeline {
  constructor(public tempo: number, private originBeat: number, private originTime: number) {}
  beatAt(t: number): number {
    return this.originBeat + ((t - this.originTime) * this.tempo) / 60e6;
  }
  timeAtBeat(b: number): number {
    return this.originTime + ((b - this.originBeat) * 60e6) / this.tempo;
  }
  /** The session's beats move `micros` later. */
  shift(micros: number): void {
    this.originTime += micros;
  }
  setTempo(bpm: number, at: number): void {
    this.originBeat = this.beatAt(at);
    this.originTime = at;
    this.tempo = bpm;
  }
}

/** An engine fed by the follower; returns the heard time (µs) and bar position of each beat. */
class Engine {
  readonly transport: Transport;
  beat = 0;
  commands = 0;
  private seed = 12345;

  constructor(bpm: number, private readonly follower: LinkFollower, private readonly session: Session) {
    this.transport = new Transport(SR, bpm, 4);
  }

  heard(frame: number): number {
    return HEARD_AT_FRAME_0 + (frame * 1e6) / SR;
  }

  /** A delivery delay of 0 to 6 ms, now and then almost none (a quiet event loop). */
  private delay(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    const r = this.seed / 2147483648;
    return r < 0.2 ? r * 100 : r * 6000;
  }

  /** Plays beat `this.beat` and applies what the follower sends back. */
  step(): { heard: number; beatInBar: number } {
    const k = this.beat++;
    const frame = this.transport.beatFrame(k);
    const beatInBar = this.transport.beatInBar(k);
    const out = this.follower.beat({ type: 'beat', frame, beat: k, beatInBar, bar: this.transport.barOf(k), downbeat: beatInBar === 0 }, this.heard(frame) + this.delay(), this.session);
    // the host has rendered SOUND_DELAY_FRAMES past the beat: a command acts from the next beat after that
    const now = frame + SOUND_DELAY_FRAMES;
    for (const c of out.commands) {
      this.commands++;
      const at = this.transport.beatAtOrAfter(Math.max(c.frame ?? now, now));
      if (c.command === 'bpm') {
        this.transport.setTempoAtBeat(at, c.value as number);
        this.follower.tempo({ type: 'tempo', frame: this.transport.beatFrame(at), bpm: Math.round((c.value as number) * 1000) / 1000, beatsPerBar: 4 });
      } else if (c.command === 'downbeat') this.transport.setBeatsPerBarAtBeat(at, 4);
    }
    return { heard: this.heard(frame), beatInBar };
  }
}

/** ms from the session's nearest beat, and whether the session is on a bar line there. */
function against(session: Session, t: number): { errorMs: number; sessionBar: boolean } {
  const b = session.beatAt(t);
  const n = Math.round(b);
  return { errorMs: ((b - n) * 60000) / session.tempo, sessionBar: ((n % 4) + 4) % 4 === 0 };
}

describe('link follower', () => {
  it('FrameClock: the least delayed arrival gives the heard time of every frame', () => {
    const c = new FrameClock(SR, 4);
    c.observe(48000, 2_000_000 + 3000);
    c.observe(96000, 3_000_000 + 150);
    c.observe(144000, 4_000_000 + 5000);
    assert.equal(c.heardAt(0), 1_000_150);
    assert.equal(c.frameAt(1_000_150 + 500_000), 24000);
    // older than the window: forgotten
    for (let i = 4; i < 8; i++) c.observe(i * 48000, (i + 1) * 1_000_000 + 2000);
    assert.equal(c.heardAt(0), 1_002_000);
    // frames going back: a new host, start over
    c.observe(100, 9_000_000);
    assert.equal(c.heardAt(100), 9_000_000);
  });

  it('locks the engine beats onto the session, to the frame, then leaves them alone', () => {
    const session = new Session(120, 0.37, HEARD_AT_FRAME_0);
    const follower = new LinkFollower(SR, 97, 4, 8);
    const engine = new Engine(97, follower, session);
    for (let i = 0; i < 24; i++) engine.step();
    const errors: number[] = [];
    let barsAgree = true;
    const before = engine.commands;
    for (let i = 0; i < 32; i++) {
      const { heard, beatInBar } = engine.step();
      const a = against(session, heard);
      errors.push(Math.abs(a.errorMs));
      if (a.sessionBar !== (beatInBar === 0)) barsAgree = false;
    }
    assert.ok(Math.max(...errors) <= TOLERANCE_MS + 0.05, `errors (ms): ${errors.map((e) => e.toFixed(3)).join(' ')}`);
    assert.ok(barsAgree, 'bar lines on the session\'s (quantum 4)');
    assert.equal(engine.commands, before, 'no command once locked');
    assert.ok(Math.abs(engine.transport.bpm - 120) < 1e-9);
  });

  it('follows a session tempo change within two beats and keeps the phase', () => {
    const session = new Session(120, 0, HEARD_AT_FRAME_0);
    const follower = new LinkFollower(SR, 120, 4, 8);
    const engine = new Engine(120, follower, session);
    for (let i = 0; i < 16; i++) engine.step();
    session.setTempo(90, engine.heard(engine.transport.beatFrame(engine.beat)) - 100_000);
    engine.step();
    engine.step();
    const errors: number[] = [];
    for (let i = 0; i < 12; i++) errors.push(Math.abs(against(session, engine.step().heard).errorMs));
    assert.ok(Math.max(...errors) <= TOLERANCE_MS + 0.05, `errors (ms): ${errors.map((e) => e.toFixed(3)).join(' ')}`);
    assert.ok(Math.abs(engine.transport.bpm - 90) < 1e-9);
  });

  it('while a loop is recorded, beats within LENGTH_TOLERANCE_MS are left alone, so the loop is whole session bars', () => {
    const session = new Session(120, 0, HEARD_AT_FRAME_0);
    const follower = new LinkFollower(SR, 120, 4, 8);
    const engine = new Engine(120, follower, session);
    for (let i = 0; i < 16; i++) engine.step();
    // the session moves 0.6 ms: beyond the usual tolerance, within the recording one
    session.shift(600);
    follower.settingLength = true;
    const before = engine.commands;
    const start = engine.transport.beatFrame(engine.beat);
    for (let i = 0; i < 8; i++) engine.step();
    assert.equal(engine.commands, before, 'no correction while the length is set');
    assert.equal(engine.transport.beatFrame(engine.beat) - start, 8 * 24000, 'two bars of exactly the session tempo');
    follower.settingLength = false;
    for (let i = 0; i < 4; i++) engine.step();
    assert.ok(engine.commands > before, 'corrected once the loop is set');
    assert.ok(Math.abs(against(session, engine.step().heard).errorMs) <= TOLERANCE_MS + 0.05);
    assert.ok(LENGTH_TOLERANCE_MS > 0.6);
  });

  it('reports the session beat and phase at each engine beat', () => {
    const session = new Session(120, 0, HEARD_AT_FRAME_0);
    const follower = new LinkFollower(SR, 120, 4, 8);
    const step = follower.beat({ type: 'beat', frame: 24000 * 6, beat: 6, beatInBar: 2, bar: 1, downbeat: false }, HEARD_AT_FRAME_0 + 3_000_000 + 240, session);
    assert.equal(step.link.engineBeat, 6);
    assert.ok(Math.abs(step.link.beat - (6 + 0.00048)) < 1e-9);
    assert.ok(Math.abs(step.link.phase - 2.00048) < 1e-9);
    assert.ok(Math.abs(step.link.phaseErrorMs - 0.24) < 1e-9);
  });
});
