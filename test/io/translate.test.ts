import { strict as assert } from 'assert';
import { Transport } from '../../lib/engine/transport';
import { EventType } from '../../lib/engine/types';
import { LevelMeter, barsOf, translateEvent } from '../../lib/io/translate';

// Engine event records to IPC events: every type, and the level meter's peak hold.

describe('io: translate', () => {
  const source = { sampleRate: 48000, transport: new Transport(48000, 120, 4) };
  const ev = (type: EventType, track: number, frame: number, a: number, b: number) => ({ type, track, frame, a, b });

  it('state: the state name, the loop length in frames, seconds and bars', () => {
    assert.deepEqual(translateEvent(source, ev(EventType.State, 3, 96000, 2, 192000)), {
      type: 'state', track: 3, state: 'playing', frame: 96000, frames: 192000, seconds: 4, bars: 2,
    });
    assert.equal(barsOf(source, 100000), 1.042);
  });

  it('pending, beat, tempo, layers, error', () => {
    assert.deepEqual(translateEvent(source, ev(EventType.Pending, 1, 5000, 1, 0)), { type: 'pending', track: 1, state: 'recording', frame: 5000 });
    assert.deepEqual(translateEvent(source, ev(EventType.Beat, 0, 24000 * 9, 9, 1)), { type: 'beat', frame: 216000, beat: 9, beatInBar: 1, bar: 2, downbeat: false });
    assert.deepEqual(translateEvent(source, ev(EventType.Tempo, 0, 48000, 97500, 3)), { type: 'tempo', frame: 48000, bpm: 97.5, beatsPerBar: 3 });
    assert.deepEqual(translateEvent(source, ev(EventType.Layers, 2, 10, 3, 1)), { type: 'layers', track: 2, frame: 10, undo: 3, redo: 1 });
    assert.deepEqual(translateEvent(source, ev(EventType.Error, 2, 10, 0, 2)), { type: 'error', track: 2, message: 'play: the track is empty' });
  });

  it('the level meter holds the highest peaks until taken, then starts again', () => {
    const m = new LevelMeter();
    const mem = new Float32Array(8);
    mem.set([0.25, 0.5, 0.75, 0.125], 4);
    m.add(mem, 4);
    mem.set([0.5, 0.25, 0.5, 0.25], 4);
    m.add(mem, 4);
    assert.deepEqual(m.take(), { type: 'levels', input: [0.5, 0.5], output: [0.75, 0.25] });
    assert.deepEqual(m.take(), { type: 'levels', input: [0, 0], output: [0, 0] });
  });
});
