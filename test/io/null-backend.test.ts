// The paced null backend on a manual clock: it never renders a block before it is due, keeps to the
// block count of the elapsed time whatever its timers' lateness, and reports (and absorbs) a stalled
// event loop, exactly.

import { strict as assert } from 'assert';
import { Clock } from '../../lib/io/clock';
import { NullBackend, NullBackendOptions, NullXrun } from '../../lib/io/null-backend';
import { ManualClock } from '../fixtures/manual-clock';

const RATE = 48000;
const FRAMES = 256;
const BLOCK_MS = (FRAMES * 1000) / RATE;

/** Blocks due by `elapsed` ms after start (block 0 is due at the start). */
const dueBy = (elapsed: number) => Math.floor(elapsed / BLOCK_MS) + 1;

function backendOn(clock: Clock, options: Partial<NullBackendOptions> = {}) {
  const calls: { frames: number; at: number }[] = [];
  const xruns: NullXrun[] = [];
  const backend = new NullBackend({
    sampleRate: RATE,
    framesPerBuffer: FRAMES,
    process: (frames) => calls.push({ frames, at: clock.now() }),
    onXrun: (x) => xruns.push(x),
    clock,
    ...options,
  });
  return { backend, calls, xruns };
}

describe('io: null backend', () => {
  it('renders each block when it is due, never earlier, with the block size; nothing after stop()', () => {
    const clock = new ManualClock();
    const { backend, calls } = backendOn(clock);
    backend.start();
    clock.advance(200);
    backend.stop();
    assert.equal(calls.length, dueBy(200));
    calls.forEach((c, i) => {
      assert.equal(c.frames, FRAMES);
      assert.ok(c.at >= backend.dueMs(i) && c.at < backend.dueMs(i) + 1, `block ${i} ran at ${c.at - backend.dueMs(i)} ms from its time`);
    });
    assert.equal(backend.framesProcessed, calls.length * FRAMES);
    assert.equal(clock.pending, 0, 'stop() leaves no timer');
    clock.advance(100);
    assert.equal(calls.length, dueBy(200), 'process ran after stop()');
  });

  it('keeps to the block count of the elapsed time when every timer fires late (no drift)', () => {
    // chained timers 1 ms late each would fall 20% short at this block size; the schedule is computed
    // from the block count, so it does not
    const clock = new ManualClock();
    const late: Clock = { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms + 1), clearTimeout: (h) => clock.clearTimeout(h) };
    const { backend, calls, xruns } = backendOn(late);
    backend.start();
    clock.advance(1000);
    const due = dueBy(clock.now() - backend.dueMs(0));
    backend.stop();
    assert.ok(calls.length <= due && calls.length >= due - 1, `${calls.length} blocks rendered, ${due} due`);
    assert.equal(xruns.length, 0, 'a timer 1 ms late is not an xrun');
  });

  it('reports a stalled event loop as one xrun and catches up on the blocks it missed', () => {
    const clock = new ManualClock();
    const { backend, calls, xruns } = backendOn(clock);
    backend.start();
    clock.advance(30);
    const before = calls.length;
    clock.stall(40);
    clock.advance(0);
    assert.equal(xruns.length, 1);
    assert.equal(backend.xruns, 1);
    assert.equal(xruns[0].block, before);
    assert.ok(xruns[0].lateMs > BLOCK_MS && xruns[0].lateMs <= 40, `${xruns[0].lateMs} ms late`);
    assert.equal(xruns[0].droppedBlocks, 0);
    assert.equal(calls.length, dueBy(70), 'every missed block rendered back to back');
    clock.advance(30);
    backend.stop();
    assert.equal(calls.length, dueBy(100));
    assert.equal(xruns.length, 1, 'back on schedule');
  });

  it('drops what it cannot catch up on, and keeps the schedule', () => {
    const clock = new ManualClock();
    const { backend, calls, xruns } = backendOn(clock, { maxCatchUpBlocks: 2 });
    backend.start();
    clock.advance(20);
    clock.stall(61);
    clock.advance(0);
    backend.stop();
    assert.equal(xruns.length, 1);
    const due = dueBy(81);
    assert.equal(xruns[0].droppedBlocks, due - dueBy(20) - 2, 'all but two of the missed blocks dropped');
    assert.equal(calls.length + xruns[0].droppedBlocks, due);
  });

  it('stops from inside process()', () => {
    const clock = new ManualClock();
    let blocks = 0;
    const backend = new NullBackend({
      sampleRate: RATE,
      framesPerBuffer: FRAMES,
      clock,
      process: () => {
        if (++blocks === 3) backend.stop();
      },
    });
    backend.start();
    clock.advance(50);
    assert.equal(blocks, 3);
    assert.equal(backend.running, false);
    assert.equal(clock.pending, 0);
  });

  it('rejects a bad rate or block size', () => {
    const process = () => undefined;
    assert.throws(() => new NullBackend({ sampleRate: 0, framesPerBuffer: FRAMES, process }), RangeError);
    assert.throws(() => new NullBackend({ sampleRate: RATE, framesPerBuffer: 12.5, process }), RangeError);
  });
});
