import { strict as assert } from 'assert';
import { EventEmitter } from 'events';
import { EngineConnection, EngineUser } from '../../lib/control/engine-connection';
import { DEFAULT_HOST_CONFIG } from '../../lib/control/host-config';
import { EngineStatus } from '../../lib/control/status';
import { EngineClient, HostQuery, ReadyEvent } from '../../lib/io/client';
import { HostConfig, HostRequest } from '../../lib/io/protocol';
import { ManualClock } from '../fixtures/manual-clock';

// The connection's lifecycle against a scripted client, on a manual clock: refcount, start/stop,
// restart after a crash with its backoff, stop deadline, status fan-out, event channels.

class FakeClient extends EventEmitter implements EngineClient {
  readonly sent: HostRequest[] = [];
  stopped = false;
  private resolveStart!: (r: ReadyEvent) => void;
  private rejectStart!: (e: Error) => void;
  readonly started = new Promise<ReadyEvent>((resolve, reject) => {
    this.resolveStart = resolve;
    this.rejectStart = reject;
  });

  constructor(private readonly stopBehaviour: 'exit' | 'hang' = 'exit') {
    super();
  }
  start(): Promise<ReadyEvent> {
    return this.started;
  }
  send(req: HostRequest): void {
    this.sent.push(req);
  }
  request(q: HostQuery): Promise<unknown> {
    return Promise.resolve({ answered: q.type });
  }
  stop(): Promise<void> {
    this.stopped = true;
    if (this.stopBehaviour === 'hang') return new Promise(() => undefined);
    this.emit('exit', 0);
    return Promise.resolve();
  }
  ready(backend: 'portaudio' | 'null' = 'portaudio', notice?: string): void {
    this.resolveStart({ type: 'ready', backend, sampleRate: 48000, blockFrames: 256, inputDevice: 'in', outputDevice: 'out', notice });
  }
  fail(message: string): void {
    this.rejectStart(new Error(message));
    this.emit('exit', 1);
  }
  crash(code = 134): void {
    this.emit('exit', code);
  }
}

class Harness {
  readonly clients: FakeClient[] = [];
  readonly logs: [string, string][] = [];
  stopBehaviour: 'exit' | 'hang' = 'exit';
  readonly clock = new ManualClock();
  readonly connection: EngineConnection;

  constructor(config: Partial<HostConfig> = {}) {
    this.connection = new EngineConnection(
      { ...DEFAULT_HOST_CONFIG, ...config },
      () => {
        const c = new FakeClient(this.stopBehaviour);
        this.clients.push(c);
        return c;
      },
      { restartDelayMs: 20, maxRestartDelayMs: 80, stableAfterMs: 1000, stopTimeoutMs: 100, clock: this.clock, log: (level, text) => this.logs.push([level, text]) },
    );
  }
  get last(): FakeClient {
    return this.clients[this.clients.length - 1];
  }
}

function user(id: string): EngineUser & { seen: EngineStatus[] } {
  const seen: EngineStatus[] = [];
  return { id, seen, engineStatus: (s) => seen.push(s) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('control: engine connection', () => {
  it('starts the host with the first user, once, and tells every user its status', async () => {
    const h = new Harness();
    const a = user('a');
    const b = user('b');
    h.connection.register(a);
    h.connection.register(b);
    assert.equal(h.clients.length, 1);
    assert.deepEqual(a.seen, ['starting']);
    assert.deepEqual(b.seen, ['starting']);
    h.last.ready();
    await tick();
    assert.deepEqual(a.seen, ['starting', 'running']);
    assert.deepEqual(b.seen, ['starting', 'running']);
    assert.equal(h.connection.ready?.inputDevice, 'in');
  });

  it('reports "no-device" when the host runs without the device it was asked for, and logs its notice once', async () => {
    const h = new Harness({ backend: 'auto' });
    const a = user('a');
    h.connection.register(a);
    h.last.ready('null', 'no audio device');
    await tick();
    assert.deepEqual(a.seen, ['starting', 'no-device']);
    assert.deepEqual(h.logs, [['warn', 'no audio device']]);
  });

  it('"running" when no device was chosen on purpose', async () => {
    const h = new Harness({ backend: 'null' });
    const a = user('a');
    h.connection.register(a);
    h.last.ready('null');
    await tick();
    assert.deepEqual(a.seen, ['starting', 'running']);
  });

  it('keeps the host while users are only redeployed; stops it when the last one is removed', async () => {
    const h = new Harness();
    const a = user('a');
    const b = user('b');
    h.connection.register(a);
    h.connection.register(b);
    h.last.ready();
    await h.connection.deregister(a, false);
    await h.connection.deregister(b, false);
    assert.equal(h.last.stopped, false, 'a redeploy must not stop the host');
    h.connection.register(user('a2'));
    assert.equal(h.clients.length, 1);
    await h.connection.deregister(user('a2'), true);
    assert.equal(h.last.stopped, true);
    assert.equal(h.connection.status, 'stopped');
    assert.equal(h.connection.hasClient, false);
  });

  it('a removed user that is not the last leaves the host running', async () => {
    const h = new Harness();
    const a = user('a');
    h.connection.register(a);
    h.connection.register(user('b'));
    await h.connection.deregister(a, true);
    assert.equal(h.last.stopped, false);
  });

  it('forwards host events by type, the host\'s errors on "hostError", and never replies', async () => {
    const h = new Harness();
    h.connection.register(user('a'));
    const got: string[] = [];
    h.connection.on('beat', (e) => got.push(`beat ${e.beat}`));
    h.connection.on('hostError', (e) => got.push(`error ${e.message}`));
    h.connection.on('reply', () => got.push('reply'));
    h.last.emit('event', { type: 'beat', frame: 0, beat: 3, beatInBar: 3, bar: 0, downbeat: false });
    h.last.emit('event', { type: 'error', track: 1, message: 'x' });
    h.last.emit('event', { type: 'reply', id: 1, ok: true });
    assert.deepEqual(got, ['beat 3', 'error x']);
  });

  it('sends while a host exists (commands queue in a starting client); refuses when none', async () => {
    const h = new Harness();
    const a = user('a');
    assert.equal(h.connection.send({ type: 'command', command: 'play', track: 1 }), false);
    await assert.rejects(h.connection.request({ type: 'status' }), /the engine is not running/);
    h.connection.register(a);
    assert.equal(h.connection.send({ type: 'command', command: 'play', track: 1 }), true);
    assert.deepEqual(await h.connection.request({ type: 'devices' }), { answered: 'devices' });
    assert.equal(h.last.sent.length, 1);
  });

  it('after a crash: "crashed" to every user, a new host after the delay, doubling while it keeps crashing', async () => {
    const h = new Harness();
    const a = user('a');
    h.connection.register(a);
    h.last.ready();
    await tick();
    h.last.crash(134);
    assert.equal(h.connection.send({ type: 'quit' }), false);
    assert.deepEqual(a.seen, ['starting', 'running', 'crashed']);
    h.clock.advance(19);
    assert.equal(h.clients.length, 1, 'not before 20 ms');
    h.clock.advance(1);
    assert.equal(h.clients.length, 2, 'restarted after 20 ms');
    h.last.fail('device busy');
    await tick();
    h.clock.advance(39);
    assert.equal(h.clients.length, 2, 'the second restart waits 40 ms');
    h.clock.advance(1);
    assert.equal(h.clients.length, 3);
    h.last.fail('device busy');
    await tick();
    h.clock.advance(80);
    assert.equal(h.clients.length, 4, 'then 80 ms');
    h.last.fail('device busy');
    await tick();
    h.clock.advance(79);
    assert.equal(h.clients.length, 4, 'and no more than maxRestartDelayMs');
    h.clock.advance(1);
    assert.equal(h.clients.length, 5);
    h.last.ready();
    await tick();
    assert.deepEqual(a.seen, ['starting', 'running', 'crashed', 'starting', 'crashed', 'starting', 'crashed', 'starting', 'crashed', 'starting', 'running']);
    assert.deepEqual(h.logs, [
      ['error', 'the engine host exited with code 134'],
      ['error', 'the engine host did not start: device busy'],
    ]);
    assert.equal(h.clients.slice(0, 4).reduce((n, c) => n + c.listenerCount('event'), 0), 0, 'listeners left on dead clients');
  });

  it('a host that ran stableAfterMs before crashing restarts after the first delay again', async () => {
    const h = new Harness();
    h.connection.register(user('a'));
    h.last.fail('device busy');
    await tick();
    h.clock.advance(20);
    h.last.fail('device busy');
    await tick();
    h.clock.advance(40);
    assert.equal(h.clients.length, 3, 'backing off: 20, then 40 ms');
    h.last.ready();
    await tick();
    h.clock.advance(999);
    h.last.crash();
    h.clock.advance(79);
    assert.equal(h.clients.length, 3, 'ran 999 ms: still backing off (80 ms)');
    h.clock.advance(1);
    assert.equal(h.clients.length, 4);
    h.last.ready();
    await tick();
    h.clock.advance(1000);
    h.last.crash();
    h.clock.advance(20);
    assert.equal(h.clients.length, 5, 'ran 1000 ms: back to 20 ms');
  });

  it('does not restart when no user is left, or after close', async () => {
    const h = new Harness();
    const a = user('a');
    h.connection.register(a);
    await h.connection.deregister(a, false);
    h.last.crash();
    h.clock.advance(1000);
    assert.equal(h.clients.length, 1);
    assert.equal(h.clock.pending, 0);

    const h2 = new Harness();
    h2.connection.register(user('b'));
    h2.last.crash();
    await h2.connection.close();
    h2.clock.advance(1000);
    assert.equal(h2.clients.length, 1, 'a pending restart must not survive close');
    h2.connection.register(user('c'));
    assert.equal(h2.clients.length, 1, 'a closed connection starts nothing');
  });

  it('stop resolves by its deadline when the client never confirms, and warns', async () => {
    const h = new Harness();
    h.stopBehaviour = 'hang';
    h.connection.register(user('a'));
    let closed = false;
    const closing = h.connection.close().then(() => (closed = true));
    h.clock.advance(99);
    await tick();
    assert.equal(closed, false, 'not before the deadline');
    assert.deepEqual(h.logs, []);
    h.clock.advance(1);
    await closing;
    assert.deepEqual(h.logs, [['warn', 'the engine host did not stop within 100 ms']]);
    assert.equal(h.connection.status, 'stopped');
  });

  it('a user arriving while the host stops gets a new host once the old one is gone (a device opens once)', async () => {
    const h = new Harness();
    h.stopBehaviour = 'hang';
    const a = user('a');
    h.connection.register(a);
    const stopping = h.connection.deregister(a, true);
    h.connection.register(user('b'));
    assert.equal(h.clients.length, 1);
    h.clock.advance(100);
    await stopping;
    await tick();
    assert.equal(h.clients.length, 2);
  });

  it('a start that fails to make a client counts as a crash', async () => {
    const logs: string[] = [];
    const connection = new EngineConnection(DEFAULT_HOST_CONFIG, () => { throw new Error('fork failed: EAGAIN'); }, { restartDelayMs: 1000, log: (_, t) => logs.push(t) });
    const a = user('a');
    connection.register(a);
    assert.deepEqual(a.seen, ['crashed']);
    assert.deepEqual(logs, ['could not create the engine host: fork failed: EAGAIN']);
    await connection.close();
  });
});
