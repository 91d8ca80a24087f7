import { HostQuery, ReadyEvent } from '../io/client';
import { HostConfig, HostRequest } from '../io/protocol';
import { SHARED_KEYS } from './constants';
import { EngineConnection, EngineUser } from './engine-connection';
import { NodeError, describeError, misconfigured, notRunning, statusOf } from './errors';
import { ListenerTracker } from './listeners';
import { DoneFn, Node, NodeAPI, NodeDef, NodeMessage, SendFn } from './red';
import { EngineStatus, StatusView, failedStatus } from './status';

// The part every user node shares: find the engine config node, register with its connection, route
// input to a controller and report what went wrong, and undo all of it on close. Node files call
// wireUserNode() and hold no logic of their own; controllers (lib/control/*-controller.ts) hold the
// behaviour and are tested without Node-RED.

/** What the loopstation-engine config node offers its users. */
export interface EngineConfigNode extends Node {
  /** undefined when the settings are invalid (settingsError says why) */
  connection: EngineConnection | undefined;
  hostConfig: HostConfig | undefined;
  settingsError: string | undefined;
}

export type Translate = (key: string, params: Record<string, string | number>, english: string) => string;

export interface ControllerContext {
  /** the engine's settings (track count, sample rate...) */
  readonly config: HostConfig;
  readonly status: StatusView;
  /** Sends a command; throws a NodeError when no engine host runs. */
  send(req: HostRequest): void;
  request(query: HostQuery): Promise<unknown>;
  /** The running host's ready event (backend, devices), if it runs. */
  ready(): ReadyEvent | undefined;
  /** Sends a msg from the node's output. */
  output(msg: NodeMessage): void;
  /** Listens to a connection channel ('state', 'beat', ...) until the node closes. */
  listen<E>(channel: string, listener: (event: E) => void): void;
  /** Runs fn after ms unless the node closes first; returns a cancel function. */
  timeout(fn: () => void, ms: number): () => void;
  /** ms on a monotonic clock */
  now(): number;
  text: Translate;
  warn(text: string): void;
}

export interface Controller {
  /**
   * Handles one msg; throws an InputError or NodeError for a msg it refuses (before sending anything).
   * A msg answered later (a session command) returns a promise: its rejection is reported like a throw.
   */
  input(msg: NodeMessage): void | Promise<void>;
  engineStatus?(status: EngineStatus): void;
  close?(): void;
}

export interface UserNodeSpec {
  /** audio in/out: shows "not available" while the engine has no device */
  deviceNode: boolean;
  create(ctx: ControllerContext): Controller;
}

/** RED._ with an English fallback where no catalog answers (the test helper's RED._ returns the key). */
export function translator(RED: Pick<NodeAPI, '_'>): Translate {
  return (key, params, english) => {
    const text = RED._(key, params);
    const bare = key.slice(key.indexOf(':') + 1);
    return typeof text === 'string' && text !== '' && text !== key && text !== bare ? text : english;
  };
}

export function wireUserNode(RED: NodeAPI, node: Node, def: NodeDef, spec: UserNodeSpec): void {
  const text = translator(RED);
  const status = new StatusView((s) => node.status(s), spec.deviceNode);
  const report = (err: unknown): Error => {
    const e = describeError(err);
    const s = statusOf(e);
    status.fail(text(s.key, s.params, s.english));
    return new Error(text(e.key, e.params, e.message));
  };

  const engineNode = typeof def.engine === 'string' ? (RED.nodes.getNode(def.engine) as EngineConfigNode | null) : null;
  const connection = engineNode?.connection;
  let controller: Controller | undefined;
  let refusal: NodeError | undefined;
  if (!engineNode) {
    refusal = new NodeError(`${SHARED_KEYS}.errors.no-engine`, {}, 'no loopstation engine is selected: choose one in the node settings');
  } else if (!connection || !engineNode.hostConfig) {
    refusal = misconfigured(engineNode.settingsError ?? 'unknown');
  }

  const listeners = new ListenerTracker();
  const timers = new Set<NodeJS.Timeout>();
  const user: EngineUser = {
    id: node.id,
    engineStatus: (s) => {
      status.setEngine(s);
      controller?.engineStatus?.(s);
    },
  };

  if (!refusal && connection && engineNode?.hostConfig) {
    const ctx: ControllerContext = {
      config: engineNode.hostConfig,
      status,
      send: (req) => {
        if (!connection.send(req)) throw notRunning();
      },
      request: (query) => connection.request(query),
      ready: () => connection.ready,
      output: (msg) => node.send(msg),
      listen: (channel, listener) =>
        listeners.on(connection, channel, (event) => {
          try {
            listener(event as never);
          } catch (err) {
            node.error(report(err));
          }
        }),
      timeout: (fn, ms) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          fn();
        }, ms);
        timers.add(timer);
        return () => {
          clearTimeout(timer);
          timers.delete(timer);
        };
      },
      now: () => performance.now(),
      text,
      warn: (t) => node.warn(t),
    };
    try {
      controller = spec.create(ctx);
    } catch (err) {
      refusal = describeError(err);
    }
    if (controller) connection.register(user);
  }
  if (refusal) {
    const e = refusal;
    const s = statusOf(e);
    node.status(failedStatus(text(s.key, s.params, s.english)));
    node.error(text(e.key, e.params, e.message));
  }

  node.on('input', (msg: NodeMessage, _send: SendFn, done: DoneFn) => {
    if (!controller) {
      done(report(refusal));
      return;
    }
    let answer: void | Promise<void>;
    try {
      answer = controller.input(msg);
    } catch (err) {
      done(report(err));
      return;
    }
    if (answer) answer.then(() => done(), (err: unknown) => done(report(err)));
    else done();
  });

  node.on('close', (removed: boolean, done: DoneFn) => {
    listeners.removeAll();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    controller?.close?.();
    if (!controller || !connection) return done();
    // deregister never hangs: the connection's stop has its own deadline
    connection.deregister(user, removed).then(() => done(), () => done());
  });
}
