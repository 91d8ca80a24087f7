import http from 'http';
import { AddressInfo } from 'net';
import { NodeType } from '../../lib/control/constants';
import { COMMANDS } from '../../lib/engine/types';
import { ALL_NODES, CountingFactory, assert, connectionOf, engineDef, engineUp, helper, nextMsg, nextStatus, wait } from './harness';

// The panel node over real HTTP: its page and files, the event stream, commands and their refusals,
// the node's output, paths taken twice, and what a redeploy leaves.

type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const panelModule = require('../../nodes/loopstation-panel') as (RED: { httpNode: RequestHandler }) => void;

let nodeApp: RequestHandler | undefined;
/** The panel module, noting the httpNode app it registered its routes on (the test helper does not serve it). */
const capturingPanel = (RED: { httpNode: RequestHandler }) => {
  nodeApp = RED.httpNode;
  return panelModule(RED);
};

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a Server-Sent Events stream with fetch; next() waits for a matching event. */
class SseReader {
  readonly events: SseEvent[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  ended = false;
  status = 0;

  async open(url: string): Promise<this> {
    const res = await fetch(url, { signal: this.abort.signal });
    this.status = res.status;
    if (!res.ok || !res.body) {
      this.ended = true;
      return this;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffered += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block);
            const data = /^data: (.*)$/m.exec(block);
            if (event && data) this.events.push({ event: event[1], data: JSON.parse(data[1]) as Record<string, unknown> });
          }
          this.wake();
        }
      } catch {
        // aborted
      }
      this.ended = true;
      this.wake();
    })();
    return this;
  }

  async next(event: string, accept: (data: Record<string, unknown>) => boolean = () => true, ms = 3000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    let from = 0;
    for (;;) {
      for (; from < this.events.length; from++) {
        const e = this.events[from];
        if (e.event === event && accept(e.data)) return e.data;
      }
      if (this.ended) throw new Error(`the stream ended before a matching "${event}" event`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching "${event}" event within ${ms} ms (got ${this.events.map((e) => e.event).join(', ')})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server ended the stream. */
  async closedByServer(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('the stream is still open');
      await wait(20);
    }
  }

  close(): void {
    this.abort.abort();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

describe('nodes: panel', function () {
  this.timeout(20000);
  let server: http.Server;
  let base = '';
  const readers: SseReader[] = [];

  before(async () => {
    await helper.startServer();
    // one server in front of whichever httpNode app the latest load made
    server = http.createServer((req, res) => (nodeApp ? nodeApp(req, res) : res.writeHead(503).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await helper.stopServer();
  });
  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    await helper.unload();
  });

  function panelNode(id: string, props: object = {}) {
    return [
      { id, type: NodeType.Panel, engine: 'engine', name: 'Test looper', wires: [[`${id}-out`]], ...props },
      { id: `${id}-out`, type: 'helper' },
    ];
  }

  async function load(flow: object[], engine: object = {}, up = true) {
    const factory = new CountingFactory();
    helper.settings({ loopstationClientFactory: factory.create });
    await helper.load([...ALL_NODES, capturingPanel], [engineDef({ quantize: 'off', ...engine }), ...flow]);
    if (up) await engineUp();
    return factory;
  }

  /** The token the panel's page carries, read from the page like the browser does. */
  async function pageToken(panel = 'looper'): Promise<string> {
    const html = await (await fetch(`${base}/loopstation/${panel}/`)).text();
    return /<meta name="loopstation-token" content="([^"]+)">/.exec(html)?.[1] ?? '';
  }

  /** Posts like the page: with its token, unless the headers say otherwise. */
  const post = async (path: string, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
    fetch(`${base}${path}`, {
      method: 'POST', headers: { 'X-Loopstation-Token': await pageToken(path.split('/')[2]), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** A raw request with any Host header (fetch sets its own). */
  const rawRequest = (method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  async function stream(path = '/loopstation/looper/events'): Promise<SseReader> {
    const r = await new SseReader().open(`${base}${path}`);
    readers.push(r);
    return r;
  }

  it('serves the page at /loopstation/<path>/ (the bare path redirects there), its files, and 404s', async () => {
    await load(panelNode('panel'));
    const bare = await fetch(`${base}/loopstation/looper`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), 'looper/');
    const page = await fetch(`${base}/loopstation/looper/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    for (const ref of ['panel.css', 'panel.js', 'manifest.webmanifest', 'icon.svg']) assert.ok(html.includes(`"${ref}"`), ref);
    const files: [string, RegExp][] = [
      ['panel.js', /^text\/javascript/],
      ['panel.css', /^text\/css/],
      ['icon.svg', /^image\/svg\+xml/],
      ['manifest.webmanifest', /^application\/manifest\+json/],
    ];
    for (const [name, type] of files) {
      const res = await fetch(`${base}/loopstation/looper/${name}`);
      assert.equal(res.status, 200, name);
      assert.match(res.headers.get('content-type') ?? '', type, name);
    }
    assert.equal((await fetch(`${base}/loopstation/looper/secret.txt`)).status, 404);
    assert.equal((await fetch(`${base}/loopstation/looper/..%2Fpanel-hub.js`)).status, 404);
    const missing = await fetch(`${base}/loopstation/elsewhere/`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'no loopstation panel is deployed at /loopstation/elsewhere' });
    // a browser gets a page that tries again (the flow may be deploying)
    const browser = await fetch(`${base}/loopstation/elsewhere/`, { headers: { Accept: 'text/html,application/xhtml+xml' } });
    assert.equal(browser.status, 404);
    assert.match(browser.headers.get('content-type') ?? '', /^text\/html/);
    const retry = await browser.text();
    assert.match(retry, /<meta http-equiv="refresh" content="3">/);
    assert.match(retry, /no loopstation panel is deployed at \/loopstation\/elsewhere/);
  });

  it('streams a snapshot, then the beat; a posted toggle records track 1, and the node reports it', async () => {
    await load(panelNode('panel'), { bpm: 300 });
    const events = await stream();
    assert.equal(events.status, 200);
    const snapshot = await events.next('snapshot');
    assert.equal(snapshot.name, 'Test looper');
    assert.equal((snapshot.tracks as unknown[]).length, 4);
    assert.equal((snapshot.engine as { status: string }).status, 'running');
    const beat = await events.next('beat');
    assert.equal(typeof beat.beatInBar, 'number');

    const action = nextMsg(helper.getNode('panel-out'));
    const res = await post('/loopstation/looper/command', { command: 'toggle', track: 1 });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, command: 'toggle', track: 1, value: 0 });
    const recording = await events.next('state', (e) => e.track === 1 && e.state === 'recording');
    assert.equal(typeof recording.frame, 'number');
    const msg = await action;
    assert.deepEqual({ topic: msg.topic, payload: msg.payload, track: msg.track, value: msg.value }, { topic: 'looper', payload: 'toggle', track: 1, value: undefined });

    await post('/loopstation/looper/command', { command: 'toggle', track: 1 });
    const playing = await events.next('state', (e) => e.track === 1 && e.state === 'playing');
    assert.ok((playing.frames as number) > 0);
    const state = (await (await fetch(`${base}/loopstation/looper/state`)).json()) as { tracks: { state: string; anchor: number }[] };
    assert.equal(state.tracks[0].state, 'playing');
    assert.equal(state.tracks[0].anchor, playing.frame);
  });

  it('a volume or click change is echoed to every page at once and sent from the output with its value', async () => {
    await load(panelNode('panel'));
    const a = await stream();
    const b = await stream();
    const action = nextMsg(helper.getNode('panel-out'));
    assert.equal((await post('/loopstation/looper/command', { command: 'volume', track: 2, value: 0.5 })).status, 200);
    for (const r of [a, b]) assert.deepEqual(await r.next('mixer'), { type: 'mixer', track: 2, volume: 0.5, muted: false, soloed: false });
    const msg = await action;
    assert.deepEqual([msg.payload, msg.track, msg.value], ['volume', 2, 0.5]);
    const click = nextMsg(helper.getNode('panel-out'));
    assert.equal((await post('/loopstation/looper/command', { command: 'metronome', value: 'off' })).status, 200);
    assert.equal((await a.next('transport')).metronome, false);
    assert.deepEqual([(await click).payload, (await click).value], ['metronome', false]);
  });

  it('refuses bad commands with the status and the text that says what is accepted; nothing reaches the engine', async () => {
    const factory = await load(panelNode('panel'));
    const cases: [unknown, Record<string, string> | undefined, number, string][] = [
      [{ command: 'recrod', track: 1 }, undefined, 400, `command: unknown command "recrod"; accepted: ${COMMANDS.join(', ')}`],
      [{ command: 'play', track: 9 }, undefined, 400, 'track: 9 is out of range; accepted: an integer from 1 to 4'],
      [{ command: 'bpm', value: 1000 }, undefined, 400, 'value: 1000 is out of range; accepted: a number from 20 to 400'],
      ['{"command": "play",', undefined, 400, 'body: not JSON; accepted: {"command": "<name>", "track": <n>, "value": <v>}'],
      ['"play"', undefined, 400, 'body: not a command; accepted: {"command": "<name>", "track": <n>, "value": <v>}'],
      ['command=play&track=1', { 'Content-Type': 'application/x-www-form-urlencoded' }, 415, 'Content-Type: accepted: application/json'],
      [{ command: 'play', track: 1 }, { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, 403, 'Origin: commands from pages of another site are refused (set httpNodeCors in settings.js to allow them)'],
      [{ command: 'play', track: 1, pad: 'x'.repeat(5000) }, undefined, 413, 'body: larger than 4096 bytes; accepted: {"command", "track", "value"}'],
      [{ command: 'play', track: 1 }, { 'Content-Type': 'application/json', 'X-Loopstation-Token': '' }, 403, 'x-loopstation-token: missing or wrong; accepted: the token the panel\'s page carries (GET /loopstation/looper/token)'],
      [{ command: 'play', track: 1 }, { 'Content-Type': 'application/json', 'X-Loopstation-Token': 'guessed-token-of-right-size' }, 403, 'x-loopstation-token: missing or wrong; accepted: the token the panel\'s page carries (GET /loopstation/looper/token)'],
    ];
    const before = factory.commands().length;
    for (const [body, headers, status, error] of cases) {
      const res = await post('/loopstation/looper/command', body, headers);
      assert.equal(res.status, status, error);
      assert.deepEqual(await res.json(), { error });
    }
    assert.equal(factory.commands().length, before);
    // the page's own origin is fine
    const own = await post('/loopstation/looper/command', { command: 'stop', track: 1 }, { 'Content-Type': 'application/json', Origin: base });
    assert.equal(own.status, 200);
  });

  it('a DNS-rebinding page (its Origin and Host name another domain) is refused on every route; the token route is same-site only', async () => {
    const factory = await load(panelNode('panel'));
    const token = await pageToken();
    assert.match(token, /^[A-Za-z0-9_-]{24}$/);
    assert.deepEqual(await (await fetch(`${base}/loopstation/looper/token`)).json(), { token });
    const before = factory.commands().length;
    const rebound = { Host: 'evil.example:1880', Origin: 'http://evil.example:1880', 'Content-Type': 'application/json', 'X-Loopstation-Token': token };
    const refusal = { error: 'Host: "evil.example:1880" is not this machine; accepted: localhost, its addresses and names, or a name listed in loopstationAllowedHosts in settings.js' };
    for (const [method, path] of [['POST', 'command'], ['GET', ''], ['GET', 'state'], ['GET', 'token'], ['GET', 'panel.js']]) {
      const res = await rawRequest(method, `/loopstation/looper/${path}`, rebound, method === 'POST' ? '{"command":"toggle","track":1}' : '');
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.deepEqual(JSON.parse(res.body), refusal);
    }
    assert.equal((await rawRequest('GET', '/loopstation/looper/token', { Origin: 'http://evil.example' })).status, 403);
    assert.equal(factory.commands().length, before);
    // this machine's names pass, with any port
    const local = await rawRequest('POST', '/loopstation/looper/command', { ...rebound, Host: 'localhost:9', Origin: 'http://localhost:9' }, '{"command":"stop","track":1}');
    assert.equal(local.status, 200, local.body);
  });

  it('a second panel on a path in use is refused at deploy; the first keeps serving', async () => {
    await load([...panelNode('first'), ...panelNode('second', { path: 'LOOPER' })]);
    const errors = helper.log().args.filter((a) => a[0].level === helper.log().ERROR && a[0].id === 'second');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0][0].msg), /setting path: \/loopstation\/LOOPER is served by another panel \(node first\)/);
    const snapshot = (await (await fetch(`${base}/loopstation/looper/state`)).json()) as { name: string };
    assert.equal(snapshot.name, 'Test looper');
  });

  it('a bad path is refused at deploy, naming what is accepted; "devices" is the engine\'s', async () => {
    // no panel takes the engine: it never starts
    await load([...panelNode('a', { path: '../x' }), ...panelNode('b', { path: 'devices' })], {}, false);
    const errors = helper.log().args.filter((a) => a[0].level === helper.log().ERROR).map((a) => `${a[0].id}: ${String(a[0].msg)}`);
    assert.ok(errors.includes('a: setting path: "../x" is not accepted; accepted: letters, digits, - and _ (one path segment, up to 64 characters)'), errors.join('\n'));
    assert.ok(errors.includes('b: setting path: "devices" is reserved; accepted: any other name'), errors.join('\n'));
  });

  it('on close the page\'s stream ends and the path is free; no listener is left on the connection', async () => {
    await load(panelNode('panel', { path: 'stage' }));
    const events = await stream('/loopstation/stage/events');
    await events.next('snapshot');
    const connection = connectionOf();
    assert.ok(connection.listenerCount('beat') >= 1);
    await helper.unload();
    await events.closedByServer();
    assert.equal(connection.listenerCount('beat'), 0);
    assert.equal((await fetch(`${base}/loopstation/stage/`)).status, 404);
  });

  it('the node status shows the path and how many pages are open', async () => {
    await load(panelNode('panel'));
    const node = helper.getNode('panel');
    const opened = nextStatus(node, (s) => s.text === '/loopstation/looper/ · 1 open');
    const events = await stream();
    assert.deepEqual(await opened, { fill: 'green', shape: 'dot', text: '/loopstation/looper/ · 1 open' });
    const closed = nextStatus(node, (s) => s.text === '/loopstation/looper/');
    events.close();
    await closed;
  });
});
