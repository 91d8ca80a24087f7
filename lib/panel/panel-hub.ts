import { InputError, parseCommand } from '../engine/commands';
import type { CommandRequest } from '../control/commands';
import { isPlainObject } from '../control/objects';
import { PanelEvent, PanelSnapshot } from './panel-state';

// One panel's open pages: a Server-Sent Events stream per page (a snapshot first, then every event),
// and the commands the pages post. Knows nothing of Node-RED or the engine host: the controller
// (panel-controller.ts) hands it events and a way to send commands.

/** The slice of http.ServerResponse (and Express's) a stream writes to. */
export interface StreamResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): boolean;
  end(): unknown;
  on(event: 'close', listener: () => void): unknown;
  readonly writableLength?: number;
}

export interface CommandResult {
  status: number;
  body: Record<string, unknown>;
}

export interface HubOptions {
  tracks: number;
  snapshot(): PanelSnapshot;
  /** Sends a validated command to the engine; false when no engine host runs. */
  send(req: CommandRequest): boolean;
  /** After a command was sent (the node's output, the mixer echo). */
  sent?(req: CommandRequest): void;
  /** The number of open pages changed. */
  clientsChanged?(count: number): void;
  /** a comment line this often keeps proxies and phones from closing an idle stream; 0 = never */
  heartbeatMs?: number;
}

/** A page that reads slower than levels arrive is skipped for levels past this backlog, and dropped past the next. */
const SKIP_LEVELS_BYTES = 64 * 1024;
const DROP_CLIENT_BYTES = 1024 * 1024;
/** a command body is a few dozen bytes */
export const MAX_COMMAND_BYTES = 4096;
const ACCEPTED_BODY = '{"command": "<name>", "track": <n>, "value": <v>}';

export const sseFrame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class PanelHub {
  private readonly clients = new Set<StreamResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: HubOptions) {
    const every = options.heartbeatMs ?? 15000;
    if (every > 0) {
      this.heartbeat = setInterval(() => this.writeAll(': keepalive\n\n'), every);
      this.heartbeat.unref();
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Opens an event stream on `res`: headers, the snapshot, then every broadcast until the page goes. */
  open(res: StreamResponse): void {
    if (this.closed) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx and friends: pass each event on at once
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 1000\n\n${sseFrame('snapshot', this.options.snapshot())}`);
    this.clients.add(res);
    res.on('close', () => {
      if (this.clients.delete(res)) this.options.clientsChanged?.(this.clients.size);
    });
    this.options.clientsChanged?.(this.clients.size);
  }

  broadcast(event: PanelEvent): void {
    if (this.clients.size === 0) return;
    const frame = sseFrame(event.type, event);
    for (const res of this.clients) {
      const backlog = res.writableLength ?? 0;
      if (backlog > DROP_CLIENT_BYTES) {
        // it reconnects and starts again from a snapshot
        this.clients.delete(res);
        res.end();
        this.options.clientsChanged?.(this.clients.size);
      } else if (event.type !== 'levels' || backlog < SKIP_LEVELS_BYTES) {
        res.write(frame);
      }
    }
  }

  /** A posted command, validated with the engine's own parseCommand: 400 with its message when bad. */
  command(body: unknown): CommandResult {
    let req: CommandRequest;
    try {
      if (!isPlainObject(body)) throw new InputError('body', `not a command; accepted: ${ACCEPTED_BODY}`);
      const c = parseCommand(body, this.options.tracks);
      req = { type: 'command', command: c.name, track: c.track, value: c.value };
    } catch (err) {
      if (err instanceof InputError) return { status: 400, body: { error: err.message } };
      throw err;
    }
    if (this.closed || !this.options.send(req)) return { status: 503, body: { error: 'the engine is not running: the command was not sent' } };
    this.options.sent?.(req);
    return { status: 200, body: { ok: true, command: req.command, track: req.track, value: req.value } };
  }

  /** Ends every stream (the pages reconnect to whatever serves the path next). */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    const open = [...this.clients];
    this.clients.clear();
    for (const res of open) res.end();
    if (open.length) this.options.clientsChanged?.(0);
  }

  private writeAll(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }
}
