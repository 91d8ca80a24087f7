import { strict as assert } from 'assert';
import { LooperMirror } from '../../lib/osc/mirror';
import type { HostEvent } from '../../lib/io/protocol';
import type { TrackState } from '../../lib/engine/types';

// The OSC server's view of the engine between statuses, from its events alone: a multiply keeps the
// loop's position, as the engine's does (and SooperLooper's).

const RATE = 48000;
const state = (frame: number, s: TrackState, frames: number): HostEvent => ({ type: 'state', track: 1, state: s, frame, frames, seconds: frames / RATE, bars: 0 });
/** the wall-clock ms at which the engine was at `frame` (the mirror counts on from the last frame it heard of) */
const at = (frame: number): number => (frame * 1000) / RATE;

describe('OSC mirror: positions through a multiply', () => {
  it('the grown loop\'s position 0 is where the loop\'s pass began; it runs past the old length while multiplying', () => {
    const m = new LooperMirror(1, RATE, 120, 4, 16);
    const L = RATE;
    m.event(state(0, 'recording', 0), at(0));
    m.event(state(L, 'playing', L), at(L));
    // begun a quarter into the loop's second pass after the take
    const M = 2 * L + L / 4;
    m.event(state(M, 'multiplying', L), at(M));
    assert.equal(m.positionSeconds(1, at(M + 4800)), (L / 4 + 4800) / RATE);
    // past the old length: the position goes on (SooperLooper's multiply adds a cycle there)
    assert.equal(m.positionSeconds(1, at(M + L)), (L / 4 + L) / RATE);
    // hit again: two lengths, from where the pass began (2L)
    const E = M + L + 100;
    m.event(state(E, 'playing', 2 * L), at(E));
    assert.equal(m.positionSeconds(1, at(E + 200)), (E + 200 - 2 * L) / RATE);
    assert.equal(m.lengthSeconds(1, at(E + 200)), 2);
  });

  it('a multiply straight from a recording begins at the recording\'s end', () => {
    const m = new LooperMirror(1, RATE, 120, 4, 16);
    m.event(state(0, 'recording', 0), at(0));
    m.event(state(RATE, 'multiplying', RATE), at(RATE));
    assert.equal(m.positionSeconds(1, at(RATE + 2400)), 2400 / RATE);
  });
});
