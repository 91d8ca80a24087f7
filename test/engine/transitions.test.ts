import { strict as assert } from 'assert';
import { NO_LOOP, NO_OP, resolveTarget } from '../../lib/engine/transitions';
import { PAUSE, RETRIGGER, STATE_MASK } from '../../lib/engine/track';
import { COMMANDS, Cmd, State, TRACK_STATES } from '../../lib/engine/types';

// Every (command, state) pair of the pedal's state machine, spelled in words: the state the track will
// be in (columns), the command (rows), and what it does. "-" does nothing, "no loop" is refused with an
// "empty" error, "+restart" plays from position 0, "+pause" stands the loop still where it is.

const EXPECTED: Record<string, Record<string, string>> = {
  record: { empty: 'recording', recording: 'playing', playing: 'recording', overdubbing: 'recording', stopped: 'recording', multiplying: 'playing', replacing: 'playing', oneshot: 'recording', substituting: 'playing', inserting: 'playing' },
  overdub: { empty: 'recording', recording: 'overdubbing', playing: 'overdubbing', overdubbing: 'playing', stopped: 'overdubbing', multiplying: 'playing', replacing: 'playing', oneshot: 'overdubbing', substituting: 'playing', inserting: 'playing' },
  play: { empty: 'no loop', recording: 'playing', playing: '-', overdubbing: 'playing', stopped: 'playing', multiplying: 'playing', replacing: 'playing', oneshot: 'playing', substituting: 'playing', inserting: 'playing' },
  stop: { empty: '-', recording: 'stopped', playing: 'stopped', overdubbing: 'stopped', stopped: '-', multiplying: 'stopped', replacing: 'stopped', oneshot: 'stopped', substituting: 'stopped', inserting: 'stopped' },
  toggle: { empty: 'recording', recording: 'playing', playing: 'overdubbing', overdubbing: 'playing', stopped: 'playing', multiplying: 'playing', replacing: 'playing', oneshot: 'overdubbing', substituting: 'playing', inserting: 'playing' },
  multiply: { empty: 'no loop', recording: 'multiplying', playing: 'multiplying', overdubbing: 'multiplying', stopped: '-', multiplying: 'playing', replacing: '-', oneshot: 'multiplying', substituting: '-', inserting: '-' },
  replace: { empty: 'no loop', recording: '-', playing: 'replacing', overdubbing: 'replacing', stopped: '-', multiplying: '-', replacing: 'playing', oneshot: 'replacing', substituting: 'replacing', inserting: 'replacing' },
  oneshot: { empty: 'no loop', recording: '-', playing: 'oneshot+restart', overdubbing: '-', stopped: 'oneshot+restart', multiplying: '-', replacing: '-', oneshot: 'oneshot+restart', substituting: '-', inserting: '-' },
  retrigger: { empty: 'no loop', recording: '-', playing: 'playing+restart', overdubbing: '-', stopped: 'playing+restart', multiplying: '-', replacing: '-', oneshot: 'playing+restart', substituting: '-', inserting: '-' },
  pause: { empty: '-', recording: 'stopped+pause', playing: 'stopped+pause', overdubbing: 'stopped+pause', stopped: '-', multiplying: 'stopped+pause', replacing: 'stopped+pause', oneshot: 'stopped+pause', substituting: 'stopped+pause', inserting: 'stopped+pause' },
  substitute: { empty: 'no loop', recording: '-', playing: 'substituting', overdubbing: 'substituting', stopped: '-', multiplying: '-', replacing: 'substituting', oneshot: 'substituting', substituting: 'playing', inserting: '-' },
  insert: { empty: 'no loop', recording: '-', playing: 'inserting', overdubbing: '-', stopped: '-', multiplying: '-', replacing: '-', oneshot: 'inserting', substituting: '-', inserting: 'playing' },
};

function describeTarget(resolved: number): string {
  if (resolved === NO_OP) return '-';
  if (resolved === NO_LOOP) return 'no loop';
  const name = TRACK_STATES[resolved & STATE_MASK];
  assert.ok(name !== undefined && (resolved & ~(STATE_MASK | RETRIGGER | PAUSE)) === 0, `not a target: ${resolved}`);
  return (resolved & RETRIGGER) !== 0 ? `${name}+restart` : (resolved & PAUSE) !== 0 ? `${name}+pause` : name;
}

describe('engine: the transport state machine (transitions table)', () => {
  for (const [command, row] of Object.entries(EXPECTED)) {
    it(`${command}: from each of the ${TRACK_STATES.length} states`, () => {
      const cmd = COMMANDS.indexOf(command as (typeof COMMANDS)[number]) as Cmd;
      assert.ok(cmd >= 0);
      assert.deepEqual(Object.keys(row), [...TRACK_STATES], 'the expected row names every state, in order');
      const got: Record<string, string> = {};
      TRACK_STATES.forEach((name, s) => (got[name] = describeTarget(resolveTarget(cmd, s as State))));
      assert.deepEqual(got, row);
    });
  }

  it('every other command is not a transport move: nothing, from every state', () => {
    const others = COMMANDS.filter((name) => !(name in EXPECTED));
    assert.equal(others.length, COMMANDS.length - Object.keys(EXPECTED).length);
    for (const name of others) {
      for (let s = 0; s < TRACK_STATES.length; s++) {
        assert.equal(resolveTarget(COMMANDS.indexOf(name) as Cmd, s as State), NO_OP, `${name} from ${TRACK_STATES[s]}`);
      }
    }
  });
});
