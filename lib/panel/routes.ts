import fs from 'fs';
import os from 'os';
import path from 'path';
import { randomBytes, timingSafeEqual } from 'crypto';
import type { IncomingMessage, Server } from 'http';
import type { PanelHub, StreamResponse } from './panel-hub';
import { MAX_COMMAND_BYTES } from './panel-hub';

// The panel's HTTP side, on Node-RED's httpNode (so httpNodeRoot, httpNodeAuth and httpNodeCors apply
// to it like to any http-in node). The routes are registered once, when the node set loads, and look
// the panel up by its path in a registry the nodes join and leave: a redeploy never has to take a
// route off Express's stack, and a page that reconnects finds whichever node serves its path now.
//
//   GET  <root>loopstation/<path>/          the page (<path> without the slash redirects to it)
//   GET  <root>loopstation/<path>/events    Server-Sent Events: 'snapshot', then the engine's events
//   GET  <root>loopstation/<path>/state     the snapshot as JSON
//   POST <root>loopstation/<path>/command   {"command", "track", "value"} (JSON); 400 names what is wrong
//   GET  <root>loopstation/<path>/<asset>   panel.css, panel.js, icon.svg, manifest.webmanifest
//   GET  <root>loopstation/<path>/token     {"token"}: the command token, for scripts (same-site only)
//
// Who may play the looper (every route):
//  - the Host header must name this machine (localhost, its addresses, its host name) or a name set in
//    settings.js (loopstationAllowedHosts): a DNS-rebinding page, whose Origin and Host match each
//    other but name the attacker's domain, is refused;
//  - a command must come from the same site (Origin, unless httpNodeCors opens the HTTP nodes) and carry
//    the panel's token (X-Loopstation-Token), which the page embeds and other sites cannot read;
//  - its body is read here, at most 4096 bytes of JSON: a body parser in front (Node-RED's admin app
//    parses JSON bodies of every path when it shares the root with the HTTP nodes) is bypassed by
//    interceptCommandBodies(), so a bad body always gets this file's JSON 400.

export const PANEL_ROUTE = '/loopstation';
/** One path segment; not "devices" (the engine's admin route lives at /loopstation/devices). */
export const PANEL_PATH = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const RESERVED_PATHS: readonly string[] = ['devices'];
export const DEFAULT_PANEL_PATH = 'looper';

export interface PanelEndpoint {
  readonly hub: PanelHub;
  readonly snapshot: () => unknown;
}

/** Which node serves which path; a second node asking for a path in use is refused. */
export class PanelRegistry {
  private readonly byPath = new Map<string, { owner: string; endpoint: PanelEndpoint }>();

  /** Returns the id of the node that holds the path already, or undefined when it is now `owner`'s. */
  claim(panelPath: string, owner: string, endpoint: PanelEndpoint): string | undefined {
    const key = panelPath.toLowerCase();
    const held = this.byPath.get(key);
    if (held && held.owner !== owner) return held.owner;
    this.byPath.set(key, { owner, endpoint });
    return undefined;
  }

  release(panelPath: string, owner: string): void {
    const key = panelPath.toLowerCase();
    if (this.byPath.get(key)?.owner === owner) this.byPath.delete(key);
  }

  get(panelPath: string): PanelEndpoint | undefined {
    return this.byPath.get(panelPath.toLowerCase())?.endpoint;
  }

  get size(): number {
    return this.byPath.size;
  }
}

/** Checks a configured path; returns the problem, or undefined when it is fine. */
export function panelPathProblem(p: unknown): string | undefined {
  if (typeof p !== 'string' || !PANEL_PATH.test(p)) {
    return `${JSON.stringify(typeof p === 'string' ? p.slice(0, 40) : p)} is not accepted; accepted: letters, digits, - and _ (one path segment, up to 64 characters)`;
  }
  if (RESERVED_PATHS.includes(p.toLowerCase())) return `"${p}" is reserved; accepted: any other name`;
  return undefined;
}

// ---------------------------------------------------------------- HTTP plumbing (Express 4, as Node-RED runs it)

export interface HttpRequest {
  params: Record<string, string>;
  method?: string;
  /** the raw body, read before any body parser could (interceptCommandBodies) */
  loopstationBody?: Promise<Buffer>;
  originalUrl?: string;
  url?: string;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface HttpResponse extends StreamResponse {
  status(code: number): HttpResponse;
  set(headers: Record<string, string>): HttpResponse;
  json(body: unknown): void;
  send(body: string | Buffer): void;
  redirect(status: number, url: string): void;
}

type Handler = (req: HttpRequest, res: HttpResponse) => void;
export interface HttpApp {
  get(route: string, handler: Handler): unknown;
  post(route: string, handler: Handler): unknown;
}

interface Asset {
  type: string;
  body: Buffer;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
};

/** Reads the page's files once (a handful of small files); served from memory. */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of fs.readdirSync(dir)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type) assets.set(name, { type, body: fs.readFileSync(path.join(dir, name)) });
  }
  if (!assets.has('index.html')) throw new Error(`the panel's page is missing: no index.html in ${dir}`);
  return assets;
}

/** The panel's assets beside the compiled lib/panel (scripts/build.js copies lib/panel/assets there). */
export const ASSETS_DIR = path.join(__dirname, 'assets');

const noStore = { 'Cache-Control': 'no-cache' };

/** A browser gets a page that retries (the flow may be deploying); anything else the JSON error. */
function notFound(req: HttpRequest, res: HttpResponse, panelPath: string): void {
  const error = `no loopstation panel is deployed at ${PANEL_ROUTE}/${panelPath}`;
  const accept = req.headers.accept;
  if (typeof accept === 'string' && accept.includes('text/html')) {
    res
      .status(404)
      .set({ ...noStore, 'Content-Type': 'text/html; charset=utf-8' })
      .send(
        '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
          '<meta http-equiv="refresh" content="3"><title>loopstation</title>' +
          '<body style="font:16px system-ui,sans-serif;background:#15171c;color:#e8eaf0;padding:2em">' +
          `<p>${error.replace(/[<>&"]/g, '')}.</p><p>Deploy a flow with a <b>panel</b> node at this path; this page tries again every 3 seconds.</p>`,
      );
    return;
  }
  res.status(404).set(noStore).json({ error });
}

function parseJson(text: string): Promise<unknown> {
  try {
    return Promise.resolve(JSON.parse(text));
  } catch {
    return Promise.reject(Object.assign(new Error('body: not JSON; accepted: {"command": "<name>", "track": <n>, "value": <v>}'), { status: 400 }));
  }
}

const tooLarge = (limit: number) => Object.assign(new Error(`body: larger than ${limit} bytes; accepted: {"command", "track", "value"}`), { status: 413 });

/** Reads a JSON body of at most `limit` bytes: the raw bytes interceptCommandBodies() kept, else the stream. */
export function readJsonBody(req: HttpRequest, limit = MAX_COMMAND_BYTES): Promise<unknown> {
  if (req.loopstationBody) return req.loopstationBody.then((bytes) => parseJson(bytes.toString('utf8')));
  // a parser in front read the stream (a setup interceptCommandBodies() could not reach): its size still counts
  if (req.body !== undefined) {
    if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge(limit));
    return Buffer.isBuffer(req.body) ? parseJson(req.body.toString('utf8')) : Promise.resolve(req.body);
  }
  return readRaw(req, limit).then((bytes) => parseJson(bytes.toString('utf8')));
}

/** The body's bytes, refused (413) past `limit` without keeping more. */
function readRaw(req: Pick<HttpRequest, 'on'>, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit && !failed) {
        failed = true;
        reject(tooLarge(limit));
      }
      if (!failed) chunks.push(chunk);
    });
    req.on('error', (err: Error) => {
      if (!failed) reject(err);
      failed = true;
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
  });
}

/** Matches <httpNodeRoot>loopstation/<path>/command. */
function commandPath(nodeRoot: string): RegExp {
  const root = `/${nodeRoot.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
  const escaped = root.replace(/[.*+?^$()|[\]\\{}]/g, (c) => `\\${c}`);
  return new RegExp(`^${escaped}loopstation/[^/?]+/command/?(\\?|$)`);
}

const intercepted = new WeakSet<object>();

/**
 * Reads the body of every panel command before Express sees the request, so no body parser in front of
 * the panel's routes (Node-RED's admin app parses JSON of every path under its root, up to 5 MB, and
 * answers a bad body with an HTML stack trace) ever parses it: the parsers skip a request marked as read
 * (`_body`), and the route takes the bytes from `loopstationBody`. Only POSTs to the command path.
 */
export function interceptCommandBodies(server: Pick<Server, 'prependListener'>, nodeRoot = '/', limit = MAX_COMMAND_BYTES): void {
  // Node-RED loads the node set again on each start of its runtime on the same server: one listener is enough
  if (intercepted.has(server)) return;
  intercepted.add(server);
  const pattern = commandPath(nodeRoot);
  server.prependListener('request', (req: IncomingMessage & { _body?: boolean; loopstationBody?: Promise<Buffer> }) => {
    if (req.method !== 'POST' || !pattern.test(req.url ?? '')) return;
    req._body = true;
    req.loopstationBody = readRaw(req, limit);
    req.loopstationBody.catch(() => undefined); // answered by the route (or not at all, when auth refuses first)
  });
}

/** The names this machine answers to, lower case, without ports: Host headers accepted by default. */
export function localHostNames(): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1', os.hostname().toLowerCase(), `${os.hostname().toLowerCase()}.local`]);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
  return [...names];
}

/** The host name of a Host header, without port or IPv6 brackets, lower case ('' when malformed). */
export function hostName(header: unknown): string {
  if (typeof header !== 'string' || header === '') return '';
  try {
    return new URL(`http://${header}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return '';
  }
}

const isJson = (req: HttpRequest): boolean => {
  const type = req.headers['content-type'];
  return typeof type === 'string' && /^application\/json\b/i.test(type.trim());
};

/**
 * Whether a command comes from a page of another site. Node-RED answers every origin's CORS preflight
 * (its admin app allows "*"), so without this any web page open in a browser on the network could play
 * the looper. A browser always sends Origin on a cross-site POST; curl and flows send none and pass.
 */
export function isCrossSite(req: HttpRequest): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || origin === '') return false;
  if (origin === 'null') return true; // a sandboxed frame or a file:// page
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true;
  }
  return host !== req.headers.host;
}

export interface RouteOptions {
  /** httpNodeCors is set: the user opened the HTTP nodes to other origins on purpose */
  allowCrossSite?: boolean;
  /** Host names accepted besides localHostNames() (settings.js: loopstationAllowedHosts) */
  allowedHosts?: string[];
  /** the command token (default: a random one per start) */
  token?: string;
  /** the machine's names, looked up per request by default (addresses change: Wi-Fi, DHCP) */
  localNames?: () => string[];
}

/** The command header; the page reads the token from its meta tag. */
export const TOKEN_HEADER = 'x-loopstation-token';
const TOKEN_PLACEHOLDER = '__LOOPSTATION_TOKEN__';

function sameToken(given: unknown, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

export function registerPanelRoutes(app: HttpApp, registry: PanelRegistry, assets: Map<string, Asset>, options: RouteOptions = {}): void {
  const token = options.token ?? randomBytes(18).toString('base64url');
  const extra = (options.allowedHosts ?? []).map((h) => hostName(h)).filter((h) => h !== '');
  const localNames = options.localNames ?? localHostNames;
  const page = Buffer.from(assets.get('index.html')!.body.toString('utf8').split(TOKEN_PLACEHOLDER).join(token));
  const sendAsset = (res: HttpResponse, name: string) => {
    const asset = assets.get(name)!;
    const body = name === 'index.html' ? page : asset.body;
    res.status(200).set({ 'Content-Type': asset.type, ...noStore, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' }).send(body);
  };
  /** Refuses a request whose Host is not this machine (a DNS-rebinding page): true when answered. */
  const refusedHost = (req: HttpRequest, res: HttpResponse): boolean => {
    const host = hostName(req.headers.host);
    if (host !== '' && (extra.includes(host) || localNames().includes(host))) return false;
    res.status(403).set(noStore).json({
      error: `Host: ${JSON.stringify(String(req.headers.host ?? '').slice(0, 80))} is not this machine; accepted: localhost, its addresses and names, or a name listed in loopstationAllowedHosts in settings.js`,
    });
    return true;
  };
  const refusedCrossSite = (req: HttpRequest, res: HttpResponse): boolean => {
    if (options.allowCrossSite || !isCrossSite(req)) return false;
    res.status(403).json({ error: 'Origin: commands from pages of another site are refused (set httpNodeCors in settings.js to allow them)' });
    return true;
  };

  app.get(`${PANEL_ROUTE}/:panel/token`, (req, res) => {
    if (refusedHost(req, res) || refusedCrossSite(req, res)) return;
    if (!registry.get(req.params.panel)) return notFound(req, res, req.params.panel);
    res.status(200).set(noStore).json({ token });
  });

  app.get(`${PANEL_ROUTE}/:panel/events`, (req, res) => {
    if (refusedHost(req, res)) return;
    const endpoint = registry.get(req.params.panel);
    if (!endpoint) return notFound(req, res, req.params.panel);
    endpoint.hub.open(res);
  });

  app.get(`${PANEL_ROUTE}/:panel/state`, (req, res) => {
    if (refusedHost(req, res)) return;
    const endpoint = registry.get(req.params.panel);
    if (!endpoint) return notFound(req, res, req.params.panel);
    res.status(200).set(noStore).json(endpoint.snapshot());
  });

  app.post(`${PANEL_ROUTE}/:panel/command`, (req, res) => {
    if (refusedHost(req, res)) return;
    const endpoint = registry.get(req.params.panel);
    if (!endpoint) return notFound(req, res, req.params.panel);
    if (refusedCrossSite(req, res)) return;
    // JSON only: a cross-site form cannot send it without the browser asking first (CORS preflight)
    if (!isJson(req)) {
      res.status(415).json({ error: 'Content-Type: accepted: application/json' });
      return;
    }
    if (!sameToken(req.headers[TOKEN_HEADER], token)) {
      res.status(403).json({ error: `${TOKEN_HEADER}: missing or wrong; accepted: the token the panel's page carries (GET ${PANEL_ROUTE}/${req.params.panel}/token)` });
      return;
    }
    readJsonBody(req).then(
      (body) => {
        const result = endpoint.hub.command(body);
        res.status(result.status).json(result.body);
      },
      (err: Error & { status?: number }) => res.status(err.status ?? 400).json({ error: err.message }),
    );
  });

  app.get(`${PANEL_ROUTE}/:panel/:asset`, (req, res) => {
    if (refusedHost(req, res)) return;
    if (!registry.get(req.params.panel)) return notFound(req, res, req.params.panel);
    if (req.params.asset === 'index.html' || !assets.has(req.params.asset)) {
      res.status(404).set(noStore).json({ error: `no such file: ${req.params.asset.slice(0, 64)}` });
      return;
    }
    sendAsset(res, req.params.asset);
  });

  app.get(`${PANEL_ROUTE}/:panel`, (req, res) => {
    if (refusedHost(req, res)) return;
    if (!registry.get(req.params.panel)) return notFound(req, res, req.params.panel);
    // the page's links are relative ("events", "panel.js"): it must be served from <path>/
    const url = req.originalUrl ?? req.url ?? '';
    const pathname = url.split('?')[0];
    if (!pathname.endsWith('/')) {
      const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
      res.redirect(302, `${encodeURIComponent(req.params.panel)}/${query}`);
      return;
    }
    sendAsset(res, 'index.html');
  });
}
