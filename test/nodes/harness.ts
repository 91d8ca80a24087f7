import { strict as assert } from 'assert';
import { EventEmitter } from 'events';
import { EngineClientFactory, HostStatus } from '../../lib/io/client';
import { Clock, systemClock } from '../../lib/io/clock';
import { ManualClock } from '../fixtures/manual-clock';
import { InProcessClient } from '../../lib/io/in-process-client';
import { HostConfig, HostRequest } from '../../lib/io/protocol';
import { NodeType } from '../../lib/control/constants';
import { EngineConnection } from '../../lib/control/engine-connection';
import { EngineConfigNode } from '../../lib/control/wiring';

// Shared by the node tests: the test helper (typed), flow builders, and a client factory that counts
// the clients it made and how many still run.

export interface TestNode extends EventEmitter {
  id: string;
  type: string;
  receive(msg: object): void;
}
export interface AgentRequest extends PromiseLike<{ status: number; body: Record<string, unknown> }> {
  send(body?: object): AgentRequest;
}
export interface LogCall {
  args: [{ level: number; id: string; type: string; msg: unknown }];
}
export interface Helper {
  init(nodeRedPath: string, settings?: object): void;
  settings(s: object): object;
  load(nodes: unknown[], flow: object[], credentials?: object): Promise<void>;
  setFlows(flow: object[], type: 'full' | 'flows' | 'nodes'): Promise<void>;
  unload(): Promise<void>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  getNode(id: string): TestNode;
  request(): { get(path: string): AgentRequest; post(path: string): AgentRequest };
  log(): { args: LogCall['args'][]; FATAL: number; ERROR: number; WARN: number };
}
export const helper: Helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

export const ALL_NODES = [
  require('../../nodes/loopstation-engine'),
  require('../../nodes/loopstation-audio-in'),
  require('../../nodes/loopstation-metronome'),
  require('../../nodes/loopstation-loop-recorder'),
  require('../../nodes/loopstation-mixer'),
  require('../../nodes/loopstation-audio-out'),
];

/** A small, fast engine: no quantize, no crossfade, little memory, the null backend chosen on purpose. */
export function engineDef(overrides: object = {}): Record<string, unknown> {
  return {
    id: 'engine',
    type: NodeType.Engine,
    name: 'test engine',
    backend: 'null',
    sampleRate: 48000,
    blockSize: 256,
    tracks: 4,
    bpm: 120,
    beatsPerBar: 4,
    quantize: 'off',
    crossfadeFrames: 0,
    memoryMiB: 4,
    ...overrides,
  };
}

/** A node wired to a helper sink with id `${id}-out`. */
export function userNode(id: string, type: string, props: object = {}): Record<string, unknown>[] {
  return [
    { id, type, engine: 'engine', wires: [[`${id}-out`]], ...props },
    { id: `${id}-out`, type: 'helper' },
  ];
}

/**
 * Makes InProcessClients and keeps count, so tests can assert that none leak, and records every
 * request the nodes send. `adapt` may replace a client's methods (a host that never starts, a failing
 * device list...).
 */
export class CountingFactory {
  made = 0;
  running = 0;
  readonly clients: InProcessClient[] = [];
  readonly sent: HostRequest[] = [];

  constructor(
    private readonly adapt: (client: InProcessClient) => void = () => undefined,
    /** paces the engines' blocks: the system's, or a ManualClock a test advances */
    readonly clock: Clock = systemClock,
  ) {}

  readonly create: EngineClientFactory = (config: HostConfig) => {
    const client = new InProcessClient(config, this.clock);
    this.made++;
    this.running++;
    this.clients.push(client);
    client.once('exit', () => this.running--);
    const send = client.send.bind(client);
    client.send = (req) => {
      this.sent.push(req);
      send(req);
    };
    this.adapt(client);
    return client;
  };

  get last(): InProcessClient {
    return this.clients[this.clients.length - 1];
  }

  commands(): { command: string; track: number; value?: unknown }[] {
    return this.sent.filter((r): r is Extract<HostRequest, { type: 'command' }> => r.type === 'command').map(({ command, track, value }) => ({ command, track, value }));
  }
}

/** Loads `flow` with every loopstation node and a fresh CountingFactory as the client factory. */
export async function loadWithFactory(flow: object[], factory = new CountingFactory()): Promise<CountingFactory> {
  helper.settings({ loopstationClientFactory: factory.create });
  await helper.load(ALL_NODES, flow);
  return factory;
}

/** The engine config node's connection. */
export function connectionOf(id = 'engine'): EngineConnection {
  const node = helper.getNode(id) as unknown as EngineConfigNode;
  assert.ok(node?.connection, `engine ${id} has no connection`);
  return node.connection;
}

/** Resolves once the engine reports running (or no device). */
export async function engineUp(id = 'engine'): Promise<EngineConnection> {
  const connection = connectionOf(id);
  for (let i = 0; i < 200 && connection.status !== 'running' && connection.status !== 'no-device'; i++) await wait(5);
  assert.ok(connection.status === 'running' || connection.status === 'no-device', `engine status ${connection.status}`);
  return connection;
}

export async function hostStatus(id = 'engine'): Promise<HostStatus> {
  return (await connectionOf(id).request({ type: 'status' })) as HostStatus;
}

/** Resolves with the next msg at a helper node that satisfies `accept`, or rejects after ms. */
export function nextMsg<T = Record<string, unknown>>(node: TestNode, accept: (msg: T) => boolean = () => true, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`no matching msg at ${node.id} within ${ms} ms`));
    }, ms);
    const onInput = (msg: T) => {
      if (!accept(msg)) return;
      clearTimeout(timer);
      node.removeListener('input', onInput);
      resolve(msg);
    };
    node.on('input', onInput);
  });
}

/** Resolves when `node` calls done(err) for its next msg, with that error's message. */
export function nextError(node: TestNode, ms = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error from ${node.id} within ${ms} ms`)), ms);
    node.once('call:error', (call: { args: unknown[] }) => {
      clearTimeout(timer);
      const e = call.args[0];
      resolve(e instanceof Error ? e.message : String(e));
    });
  });
}

/** Resolves with the next status of `node` that satisfies accept. */
export function nextStatus(node: TestNode, accept: (s: { fill?: string; shape?: string; text?: string }) => boolean, ms = 3000): Promise<{ fill?: string; shape?: string; text?: string }> {
  return new Promise((resolve, reject) => {
    const onStatus = (call: { args: [{ fill?: string; shape?: string; text?: string }] }) => {
      if (!accept(call.args[0])) return;
      clearTimeout(timer);
      node.removeListener('call:status', onStatus);
      resolve(call.args[0]);
    };
    const timer = setTimeout(() => {
      node.removeListener('call:status', onStatus);
      reject(new Error(`no matching status at ${node.id} within ${ms} ms`));
    }, ms);
    node.on('call:status', onStatus);
  });
}

/** Every status `node` has set so far (the helper spies on the Node prototype's status()). */
export function statusCalls(id: string): { fill?: string; shape?: string; text?: string }[] {
  const spy = (helper as unknown as { _NodePrototype: { status: { getCalls(): { thisValue: { id: string }; args: [object] }[] } } })._NodePrototype.status;
  return spy.getCalls().filter((c) => c.thisValue.id === id).map((c) => c.args[0]);
}

/**
 * Plays `ms` of engine time on a manual clock in 50 ms steps, letting Node-RED deliver the msgs of each
 * step before the next (its sends go through setImmediate).
 */
export function play(clock: ManualClock, ms: number): Promise<void> {
  return clock.advanceAsync(ms, 50);
}

export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once ok() holds, looking again after each turn of the event loop (no fixed sleep: it returns
 * on the turn the condition comes true); fails naming what it waited for after ms.
 */
export async function until(ok: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export { assert };
