import { strict as assert } from 'assert';
import { QueueTimers, SessionQueue } from '../../lib/io/session-queue';

// The host's session queue: one request at a time, and a request that never ends fails at its deadline
// instead of holding the later ones back (a named pipe or a dead share once blocked list and save for good).

/** Timers that fire only when the test says the time has come. */
class FakeTimers implements QueueTimers {
  now = 0;
  private pending: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }
  async advance(ms: number): Promise<void> {
    await flush(); // queued requests start (and set their timers) first
    this.now += ms;
    const due = this.pending.filter((t) => t.at <= this.now);
    this.pending = this.pending.filter((t) => t.at > this.now);
    for (const t of due) t.fn();
    await flush();
  }
  get waiting(): number {
    return this.pending.length;
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('io: session queue', () => {
  it('runs requests one at a time, in order', async () => {
    const queue = new SessionQueue({ default: 1000 }, new FakeTimers());
    const order: string[] = [];
    let release!: () => void;
    const first = queue.run('save', () => new Promise<string>((resolve) => (release = () => resolve('saved'))).then((r) => (order.push('save'), r)));
    const second = queue.run('list', async () => (order.push('list'), 'listed'));
    await flush();
    assert.deepEqual(order, [], 'list waits for the save');
    release();
    assert.deepEqual(await Promise.all([first, second]), ['saved', 'listed']);
    assert.deepEqual(order, ['save', 'list']);
  });

  it('a request that never ends fails at its deadline and the next ones go on', async () => {
    const timers = new FakeTimers();
    const queue = new SessionQueue({ export: 5000, default: 1000 }, timers);
    const stuck = queue.run('import', () => new Promise<never>(() => undefined));
    const list = queue.run('list', async () => 'listed');
    const failed = stuck.then(() => 'settled', (e: Error) => e.message);
    await timers.advance(999);
    assert.equal(await Promise.race([failed, flush().then(() => 'pending')]), 'pending');
    await timers.advance(1);
    assert.equal(await failed, 'import: no answer within 1 s (the session folder\'s disk may have stopped answering); later requests go on');
    assert.equal(await list, 'listed');
    assert.equal(timers.waiting, 0, 'no timer left once the list answered');
  });

  it('an export gets its own, longer deadline', async () => {
    const timers = new FakeTimers();
    const queue = new SessionQueue({ export: 5000, default: 1000 }, timers);
    const result = queue.run('export', () => new Promise<never>(() => undefined)).catch((e: Error) => e.message);
    await timers.advance(4999);
    assert.equal(await Promise.race([result, flush().then(() => 'pending')]), 'pending');
    await timers.advance(1);
    assert.match(await result, /^export: no answer within 5 s/);
  });
});
