// Events leave the host when their frame is heard: held for the output latency, released in order as
// rendering moves on.

import { strict as assert } from 'assert';
import type { HostEvent } from '../../lib/io/protocol';
import { isSoundingEvent, SoundingQueue, TimedEvent } from '../../lib/io/sounding';

const beat = (frame: number, beatIndex: number): TimedEvent => ({ type: 'beat', frame, beat: beatIndex, beatInBar: beatIndex % 4, bar: Math.floor(beatIndex / 4), downbeat: beatIndex % 4 === 0 });

describe('io: sounding queue', () => {
  it('holds what is heard (state, beat, tempo, layers), not what announces or answers', () => {
    const held: HostEvent[] = [
      { type: 'state', track: 1, state: 'playing', frame: 5, frames: 10, seconds: 0, bars: 0 },
      beat(5, 0),
      { type: 'tempo', frame: 5, bpm: 90, beatsPerBar: 3 },
      { type: 'layers', track: 1, frame: 5, undo: 1, redo: 0 },
    ];
    const immediate: HostEvent[] = [
      { type: 'pending', track: 1, state: 'recording', frame: 96000 },
      { type: 'error', track: 1, message: 'nothing to undo' },
      { type: 'reply', id: 1, ok: true },
      { type: 'levels', input: [0, 0], output: [0, 0] },
      { type: 'xrun', count: 1, frame: 0 },
    ];
    assert.deepEqual(held.map(isSoundingEvent), [true, true, true, true]);
    assert.deepEqual(immediate.map(isSoundingEvent), [false, false, false, false, false]);
  });

  it('releases an event once rendering has passed its frame by the delay, oldest first', () => {
    const q = new SoundingQueue(512);
    const out: number[] = [];
    q.hold(beat(0, 0));
    q.hold(beat(600, 1));
    q.hold(beat(1100, 2));
    q.release(256, (e) => out.push(e.frame)); // heard up to frame -256: nothing
    q.release(512, (e) => out.push(e.frame)); // heard up to 0 (exclusive): still nothing
    assert.equal(out.length, 0);
    q.release(768, (e) => out.push(e.frame)); // 0..255 heard
    assert.deepEqual(out, [0]);
    q.release(1280, (e) => out.push(e.frame)); // up to 767
    assert.deepEqual(out, [0, 600]);
    assert.equal(q.size, 1);
    q.flush((e) => out.push(e.frame));
    assert.deepEqual(out, [0, 600, 1100]);
    assert.equal(q.size, 0);
  });

  it('with no delay, releases a block as soon as it is rendered', () => {
    const q = new SoundingQueue(0);
    const out: number[] = [];
    q.hold(beat(255, 0));
    q.hold(beat(256, 1));
    q.release(256, (e) => out.push(e.frame));
    assert.deepEqual(out, [255]);
  });
});
