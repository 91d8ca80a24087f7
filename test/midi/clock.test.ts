import { strict as assert } from 'assert';
import { Transport } from '../../lib/engine/transport';
import { MidiClockFollower, lockedBpm } from '../../lib/midi/clock-in';
import { MidiClockOut, TimedMidi } from '../../lib/midi/clock-out';
import { MIDI, parseMidi, songPosition } from '../../lib/midi/messages';
import { rng } from '../engine/harness';

// Clock out against the engine's beat grid (Transport), and the follower on synthesized tick streams:
// jitter, a clock that runs fast, tempo jumps, and a closed phase-lock loop. No MIDI port is involved.

function renderAll(c: MidiClockOut, to: number, block = 0): TimedMidi[] {
  const out: TimedMidi[] = [];
  if (block === 0) c.render(to, (m) => out.push(m));
  else for (let f = block; f <= to; f += block) c.render(f, (m) => out.push(m));
  return out;
}

describe('midi messages', () => {
  it('parses what the looper reads and refuses what is malformed', () => {
    assert.deepEqual(parseMidi([0x91, 60, 100]), { kind: 'note', channel: 2, note: 60, velocity: 100 });
    assert.deepEqual(parseMidi([0x90, 60, 0]), { kind: 'noteoff', channel: 1, note: 60 });
    assert.deepEqual(parseMidi([0x8f, 1, 2]), { kind: 'noteoff', channel: 16, note: 1 });
    assert.deepEqual(parseMidi([0xb0, 64, 127]), { kind: 'cc', channel: 1, controller: 64, value: 127 });
    assert.deepEqual(parseMidi([0xc3, 5]), { kind: 'program', channel: 4, program: 5 });
    assert.deepEqual(parseMidi([0xf8]), { kind: 'clock' });
    assert.deepEqual(parseMidi(songPosition(300)), { kind: 'position', beats: 300 });
    for (const bad of [[], [60], [0x90, 60], [0x90, 128, 1], [0xb0, 1, 2, 3], [0xf8, 0], [0xe0, 0, 64], [0x100], [0x90, 1.5, 2]]) {
      assert.equal(parseMidi(bad), null, JSON.stringify(bad));
    }
  });
});

describe('midi clock out', () => {
  for (const [rate, bpm] of [[48000, 120], [44100, 97], [48000, 133.7]] as const) {
    it(`24 ticks per beat at ${bpm} bpm, ${rate} Hz: every 24th tick is the engine's beat frame, the rest within half a frame`, () => {
      const c = new MidiClockOut(rate, bpm);
      const t = new Transport(rate, bpm, 4);
      c.start(4);
      const msgs = renderAll(c, t.beatFrame(4 + 400));
      assert.deepEqual(msgs[0], { frame: t.beatFrame(4), bytes: [MIDI.Start] });
      const ticks = msgs.slice(1);
      assert.equal(ticks.length, 400 * 24);
      const period = (60 * rate) / (bpm * 24);
      for (let i = 0; i < ticks.length; i++) {
        assert.deepEqual(ticks[i].bytes, [MIDI.Clock]);
        if (i % 24 === 0) assert.equal(ticks[i].frame, t.beatFrame(4 + i / 24), `tick ${i}`);
        assert.ok(Math.abs(ticks[i].frame - (4 * 24 + i) * period) <= 0.5 + 1e-9, `tick ${i} off the grid`);
      }
    });
  }

  it('rendering block by block gives exactly what rendering at once does', () => {
    const a = new MidiClockOut(44100, 97);
    const b = new MidiClockOut(44100, 97);
    a.start(1);
    b.start(1);
    assert.deepEqual(renderAll(a, 256 * 3000, 256), renderAll(b, 256 * 3000));
  });

  it('follows a tempo change from the beat it starts on, as the engine does', () => {
    const c = new MidiClockOut(48000, 120);
    const t = new Transport(48000, 120, 4);
    c.start(0);
    const before = renderAll(c, t.beatFrame(8));
    t.setTempoAtBeat(8, 90);
    c.anchor(t.beatFrame(8), 8, 90);
    const after = renderAll(c, t.beatFrame(16));
    assert.equal(before.length, 1 + 8 * 24);
    assert.equal(after.length, 8 * 24);
    for (let i = 0; i < after.length; i += 24) assert.equal(after[i].frame, t.beatFrame(8 + i / 24));
    assert.equal(after[1].frame - after[0].frame, Math.round((60 * 48000) / (90 * 24)));
  });

  it('stop silences the ticks; continue sends the song position of the next 16th, then ticks from there', () => {
    const c = new MidiClockOut(48000, 120);
    c.start(0);
    renderAll(c, 30000);
    c.stop(30000);
    assert.deepEqual(renderAll(c, 60000), [{ frame: 30000, bytes: [MIDI.Stop] }]);
    // 2.1 beats in: the next 16th is 9 (2.25 beats), its tick 54 at frame 54000
    c.continue(50400);
    const msgs = renderAll(c, 56001);
    assert.deepEqual(msgs, [
      { frame: 50400, bytes: songPosition(9) },
      { frame: 50400, bytes: [MIDI.Continue] },
      { frame: 54000, bytes: [MIDI.Clock] },
      { frame: 55000, bytes: [MIDI.Clock] },
      { frame: 56000, bytes: [MIDI.Clock] },
    ]);
    assert.equal(c.nextFrame(), 57000);
  });
});

/** Tick arrival times (ms) at `bpm` from `t0`, with uniform jitter of ±jitter ms. */
function ticks(count: number, bpm: number, t0: number, jitter: number, seed = 1): number[] {
  const r = rng(seed);
  const period = 60000 / (bpm * 24);
  return Array.from({ length: count }, (_, i) => t0 + i * period + (r() * 2 - 1) * jitter);
}

describe('midi clock follower', () => {
  it('finds the tempo of a jittery clock (±1.5 ms) within 0.1 bpm after two beats, and sees no jumps in it', () => {
    const f = new MidiClockFollower();
    for (const t of ticks(5000, 120, 0, 1.5)) f.clock(t);
    assert.ok(Math.abs((f.bpm as number) - 120) < 0.1, `${f.bpm}`);
    assert.equal(f.jumps, 0);
  });

  it('tracks a clock that runs 0.3% fast (120.36 bpm) to 0.01 bpm', () => {
    const f = new MidiClockFollower();
    for (const t of ticks(96, 120.36, 0, 0)) f.clock(t);
    assert.ok(Math.abs((f.bpm as number) - 120.36) < 0.01, `${f.bpm}`);
  });

  it('a tempo jump (120 to 140 bpm) is found within a beat, not after a whole window', () => {
    const f = new MidiClockFollower();
    const first = ticks(240, 120, 0, 0.5, 2);
    const jumpAt = first[first.length - 1] + 60000 / (140 * 24);
    const second = ticks(48, 140, jumpAt, 0.5, 3);
    for (const t of first) f.clock(t);
    const errors: number[] = [];
    for (const t of second) {
      f.clock(t);
      errors.push(Math.abs((f.bpm ?? 120) - 140));
    }
    assert.equal(f.jumps, 1);
    assert.ok(errors[23] < 1, `after one beat: ${errors[23]} bpm off`);
    assert.ok(errors[47] < 0.2, `after two beats: ${errors[47]} bpm off`);
  });

  it('knows the external beats from Start: song position, phase error', () => {
    const f = new MidiClockFollower();
    f.start();
    const ts = ticks(96, 120, 1000, 0);
    for (const t of ts) f.clock(t);
    assert.equal(f.ticks, 96);
    assert.ok(Math.abs((f.beatAt(2000) as number) - 2) < 1e-9);
    assert.ok(Math.abs((f.phaseErrorMs(2005) as number) - 5) < 1e-6);
    assert.ok(Math.abs((f.phaseErrorMs(1995) as number) + 5) < 1e-6);
    // a song position pointer moves the song, not the tempo
    f.stop();
    f.position(16);
    f.continue();
    assert.equal(f.ticks, 96);
    assert.ok(Math.abs((f.bpm as number) - 120) < 1e-9);
  });

  it('phase lock: nudged tempos bring our beats onto the external ones within 16 beats', () => {
    // the engine starts 120 ms late on a 120 bpm clock; each beat it gets lockedBpm(), applied from its next beat
    const f = new MidiClockFollower();
    f.start();
    const ext = ticks(24 * 40, 120, 0, 1, 5);
    let ourBpm = 119.5;
    let ourBeatAt = 120;
    let next = 0;
    const errors: number[] = [];
    for (let beat = 0; beat < 36; beat++) {
      while (next < ext.length && ext[next] <= ourBeatAt) f.clock(ext[next++]);
      const err = f.phaseErrorMs(ourBeatAt);
      if (err !== undefined && f.bpm !== undefined) {
        errors.push(err);
        ourBpm = lockedBpm(f.bpm, err);
      }
      ourBeatAt += 60000 / ourBpm;
    }
    const last = errors.slice(-8).map(Math.abs);
    assert.ok(Math.abs(errors[0]) > 50, `the start is off by ${errors[0]} ms`);
    assert.ok(Math.max(...last) < 2, `still ${Math.max(...last).toFixed(2)} ms off after ${errors.length} beats`);
  });

  it('lockedBpm speeds up a late engine, slows an early one, by at most 2%', () => {
    assert.ok(lockedBpm(120, 10) > 120);
    assert.ok(lockedBpm(120, -10) < 120);
    assert.equal(lockedBpm(120, 0), 120);
    assert.equal(lockedBpm(120, 10000), 120 * 1.02);
  });

  it('starts over after a dropout of more than 8 tick periods', () => {
    const f = new MidiClockFollower();
    for (const t of ticks(48, 120, 0, 0)) f.clock(t);
    for (const t of ticks(5, 90, 100000, 0)) f.clock(t);
    assert.equal(f.bpm, undefined);
    f.clock(100000 + 5 * (60000 / (90 * 24)));
    assert.ok(Math.abs((f.bpm ?? NaN) - 90) < 1e-9);
  });
});
