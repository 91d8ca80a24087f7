// The paced null backend against the real clock: it must never render a block before it is due,
// must not drift, and must report (and absorb) a late event loop.

import { strict as assert } from 'assert';
import { performance } from 'perf_hooks';
import { NullBackend, NullXrun } from '../../lib/io/null-backend';

const RATE = 48000;
const FRAMES = 256;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Blocks the event loop, like a long GC pause or a heavy deploy would. */
function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('audio: null backend', function () {
  this.timeout(10000);

  it('renders each block no earlier than it is due, with the block size', async () => {
    const calls: { frames: number; at: number }[] = [];
    const backend = new NullBackend({
      sampleRate: RATE,
      framesPerBuffer: FRAMES,
      process: (frames) => calls.push({ frames, at: performance.now() }),
    });
    backend.start();
    await wait(200);
    backend.stop();
    assert.ok(calls.length > 10, `only ${calls.length} blocks in 200 ms`);
    calls.forEach((c, i) => {
      assert.equal(c.frames, FRAMES);
      assert.ok(c.at >= backend.dueMs(i), `block ${i} ran ${backend.dueMs(i) - c.at} ms early`);
    });
    assert.equal(backend.framesProcessed, calls.length * FRAMES);
    const afterStop = calls.length;
    await wait(30);
    assert.equal(calls.length, afterStop, 'process ran after stop()');
  });

  it('keeps to the block count of the elapsed time (no drift from timer lateness)', async () => {
    // Chained setTimeouts would fall ~1 ms behind per block: about 20% short at this block size.
    let blocks = 0;
    const backend = new NullBackend({ sampleRate: RATE, framesPerBuffer: FRAMES, process: () => blocks++ });
    backend.start();
    await wait(1000);
    const due = Math.floor((performance.now() - backend.dueMs(0)) / backend.blockMs) + 1;
    backend.stop();
    assert.ok(blocks <= due && blocks >= due - 2, `${blocks} blocks rendered, ${due} due`);
  });

  it('reports a late event loop as an xrun and catches up', async () => {
    const xruns: NullXrun[] = [];
    let blocks = 0;
    const backend = new NullBackend({
      sampleRate: RATE,
      framesPerBuffer: FRAMES,
      process: () => blocks++,
      onXrun: (x) => xruns.push(x),
    });
    backend.start();
    await wait(30);
    blockEventLoop(40);
    await wait(30);
    const due = Math.floor((performance.now() - backend.dueMs(0)) / backend.blockMs) + 1;
    backend.stop();
    assert.ok(xruns.length >= 1, 'no xrun reported');
    assert.ok(xruns[0].lateMs > backend.blockMs);
    assert.equal(xruns[0].droppedBlocks, 0);
    assert.equal(backend.xruns, xruns.length);
    assert.ok(blocks <= due && blocks >= due - 2, `${blocks} blocks rendered, ${due} due`);
  });

  it('drops what it cannot catch up on, and keeps the schedule', async () => {
    const xruns: NullXrun[] = [];
    let blocks = 0;
    const backend = new NullBackend({
      sampleRate: RATE,
      framesPerBuffer: FRAMES,
      maxCatchUpBlocks: 2,
      process: () => blocks++,
      onXrun: (x) => xruns.push(x),
    });
    backend.start();
    await wait(20);
    blockEventLoop(60);
    await wait(20);
    const due = Math.floor((performance.now() - backend.dueMs(0)) / backend.blockMs) + 1;
    backend.stop();
    const dropped = xruns.reduce((n, x) => n + x.droppedBlocks, 0);
    assert.ok(dropped >= 8, `dropped ${dropped} blocks of a ${60 / backend.blockMs}-block stall`);
    assert.ok(blocks + dropped <= due && blocks + dropped >= due - 2, `${blocks} rendered + ${dropped} dropped, ${due} due`);
  });

  it('stops from inside process()', async () => {
    let blocks = 0;
    const backend = new NullBackend({
      sampleRate: RATE,
      framesPerBuffer: FRAMES,
      process: () => {
        if (++blocks === 3) backend.stop();
      },
    });
    backend.start();
    await wait(50);
    assert.equal(blocks, 3);
    assert.equal(backend.running, false);
  });

  it('rejects a bad rate or block size', () => {
    const process = () => undefined;
    assert.throws(() => new NullBackend({ sampleRate: 0, framesPerBuffer: FRAMES, process }), RangeError);
    assert.throws(() => new NullBackend({ sampleRate: RATE, framesPerBuffer: 12.5, process }), RangeError);
  });
});
