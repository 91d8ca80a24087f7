import type { EventEmitter } from 'events';

// The slice of the Node-RED runtime API the nodes use, typed here (Node-RED ships no types, and the
// controllers are tested with plain fakes of these).

export interface NodeMessage {
  payload?: unknown;
  topic?: unknown;
  _msgid?: string;
  [key: string]: unknown;
}

export type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
export type StatusShape = 'ring' | 'dot';
export interface NodeStatus {
  fill?: StatusFill;
  shape?: StatusShape;
  text?: string;
}

export type SendFn = (msg: NodeMessage | (NodeMessage | null)[]) => void;
export type DoneFn = (err?: Error) => void;

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface Node extends EventEmitter {
  id: string;
  type: string;
  name?: string;
  status(status: NodeStatus | Record<string, never>): void;
  send(msg: NodeMessage | (NodeMessage | null)[]): void;
  error(err: string | Error, msg?: NodeMessage): void;
  warn(text: string): void;
  log(text: string): void;
}

export interface Request {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}
export interface Response {
  status(code: number): Response;
  json(body: unknown): void;
}
type Handler = (req: Request, res: Response, next?: () => void) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType<N extends Node>(type: string, ctor: (this: N, def: NodeDef) => void, opts?: object): void;
    getNode(id: string): unknown;
  };
  httpAdmin: {
    get(path: string, ...handlers: Handler[]): void;
    post(path: string, ...handlers: Handler[]): void;
  };
  auth: { needsPermission(permission: string): Handler };
  settings: Record<string, unknown>;
  log: { error(text: string): void; warn(text: string): void; info(text: string): void };
  _(key: string, params?: Record<string, unknown>): string;
}
