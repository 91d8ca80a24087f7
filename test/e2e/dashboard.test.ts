import { strict as assert } from 'assert';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { NodeRed, ROOT, npm, startNodeRed, stopNodeRed, tempDir, until } from './harness';

// The Dashboard 2 example in a real Node-RED: @flowfuse/node-red-dashboard from the npm registry (cached
// under the OS temp folder, so reruns do not download it again) beside this package in a throwaway user
// directory; the example imported and deployed through the admin API; then its Track 1 button pressed over
// the dashboard's own socket.io connection, as a browser would, and track 1 seen to record (through the
// package's panel API, added to the flow for the test). Without the registry it skips, unless CI=true.

const DASHBOARD = '@flowfuse/node-red-dashboard';
const CACHE = path.join(os.tmpdir(), 'loopstation-dashboard2-cache');
const INSTALLED_MARK = path.join(CACHE, 'installed.json');
const EXAMPLE = path.join(ROOT, 'examples', '05 Dashboard 2 control surface.json');
const PANEL_PATH = 'dashboard-test';

type FlowNode = { id: string; type: string; name?: string; z?: string; [k: string]: unknown };

/** npm's words for "the registry cannot be reached" (as opposed to a failed install). */
const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network|socket hang up/i;

/**
 * The cached install of the dashboard: its package folder, or why there is none. A half-finished install
 * (no mark) is redone.
 */
function dashboardPackage(): { dir: string } | { unavailable: string } {
  const dir = path.join(CACHE, 'node_modules', ...DASHBOARD.split('/'));
  if (fs.existsSync(INSTALLED_MARK) && fs.existsSync(path.join(dir, 'package.json'))) return { dir };
  fs.mkdirSync(CACHE, { recursive: true });
  fs.writeFileSync(path.join(CACHE, 'package.json'), JSON.stringify({ name: 'loopstation-dashboard2-cache', private: true }));
  try {
    npm(['install', `${DASHBOARD}@^1`, '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: CACHE });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message);
    if (OFFLINE.test(stderr)) return { unavailable: `the npm registry cannot be reached to install ${DASHBOARD}: ${stderr.trim().split('\n')[0]}` };
    throw err;
  }
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  fs.writeFileSync(INSTALLED_MARK, JSON.stringify({ [DASHBOARD]: version }));
  return { dir };
}

/** One HTTP exchange with no Origin header (the dashboard refuses cross-site sockets). */
function exchange(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? headers : { 'Content-Type': 'text/plain;charset=UTF-8', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A socket.io client over Engine.IO 4 long polling, the transport the dashboard accepts first: open,
 * join the default namespace, emit events. Just enough to press a button.
 */
async function dashboardSocket(base: string): Promise<{ emit(event: string, ...args: unknown[]): Promise<void> }> {
  const url = `${base}/dashboard/socket.io/?EIO=4&transport=polling`;
  const open = await exchange('GET', url);
  assert.equal(open.status, 200, open.text);
  assert.match(open.text, /^0\{/, `Engine.IO open packet: ${open.text}`);
  const sid = (JSON.parse(open.text.slice(1)) as { sid: string }).sid;
  const session = `${url}&sid=${encodeURIComponent(sid)}`;
  const post = async (packet: string) => {
    const r = await exchange('POST', session, packet);
    assert.equal(r.status, 200, `POST ${packet}: ${r.status} ${r.text}`);
  };
  await post('40');
  const joined = await exchange('GET', session);
  assert.match(joined.text, /(^|\x1e)40\{"sid"/, `socket.io connect answer: ${joined.text.slice(0, 200)}`);
  return { emit: (event, ...args) => post(`42${JSON.stringify([event, ...args])}`) };
}

describe('Dashboard 2: the example flow in Node-RED with @flowfuse/node-red-dashboard', function () {
  this.timeout(300000);
  let dir = '';
  let red: NodeRed | undefined;
  let base = '';
  const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
  const byName = (type: string, name: string) => {
    const n = example.find((x) => x.type === type && x.name === name);
    assert.ok(n, `${type} "${name}" in the example`);
    return n;
  };

  before(async function () {
    const dashboard = dashboardPackage();
    if ('unavailable' in dashboard) {
      if (process.env.CI === 'true') throw new Error(`${dashboard.unavailable}; CI=true needs it`);
      console.log(`      skipped: ${dashboard.unavailable}`);
      this.skip();
    }
    dir = tempDir('dashboard2');
    const modules = path.join(dir, 'node_modules');
    fs.mkdirSync(path.join(modules, '@flowfuse'), { recursive: true });
    // both packages linked in, as `npm start` links this one: Node-RED loads every package in node_modules
    fs.symlinkSync(dashboard.dir, path.join(modules, ...DASHBOARD.split('/')), 'dir');
    fs.symlinkSync(ROOT, path.join(modules, 'node-red-contrib-loopstation'), 'dir');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true, dependencies: { [DASHBOARD]: '*', 'node-red-contrib-loopstation': '*' } }));
    fs.writeFileSync(path.join(dir, 'flows.json'), '[]');
    red = await startNodeRed(dir);
    base = red.base;
  });

  after(async function () {
    this.timeout(30000);
    await stopNodeRed(red);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports and deploys the example without an error; a press of "Track 1" over the dashboard socket records track 1', async () => {
    const engine = example.find((n) => n.type === 'loopstation-engine')!;
    const tab = example.find((n) => n.type === 'tab')!;
    // the tests run on the null device; a panel of the package's own shows what the engine does
    const flow = [
      ...example.map((n) => (n.id === engine.id ? { ...n, backend: 'null', sessionDir: 'none' } : n)),
      { id: 'e2e-panel', type: 'loopstation-panel', z: tab.id, name: '', engine: engine.id, path: PANEL_PATH, x: 900, y: 40, wires: [[]] },
    ];
    const deploy = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flow),
    });
    assert.ok(deploy.ok, `deploy: ${deploy.status} ${await deploy.text()}`);

    const state = async () => (await (await fetch(`${base}/loopstation/${PANEL_PATH}/state`)).json()) as {
      engine?: { status: string };
      tracks: { state: string; pending: string | null }[];
    };
    // until the deploy has made the panel (its routes answer 404 before), then the engine's start
    await until('the engine to run', async () => ['running', 'no-device'].includes((await state()).engine?.status ?? ''), 30000);
    const deployed = (await (await fetch(`${base}/flows`)).json()) as FlowNode[];
    for (const n of example) assert.ok(deployed.some((d) => d.id === n.id && d.type === n.type), `${n.type} ${n.id} deployed`);
    const page = await fetch(`${base}/dashboard/looper`);
    assert.equal(page.status, 200, 'the dashboard serves the page');
    assert.equal((await state()).tracks[0].state, 'empty');

    const socket = await dashboardSocket(base);
    await socket.emit('widget-action', byName('ui-button', 'track 1 button').id, { payload: true, _event: { type: 'click' } });
    const track1 = await until('track 1 to record (on the next bar)', async () => {
      const t = (await state()).tracks[0];
      return t.state === 'recording' || t.pending === 'recording' ? t : undefined;
    }, 20000);
    assert.ok(track1);

    const errors = red!.log().split('\n').filter((l) => /\[error\]/.test(l));
    assert.deepEqual(errors, [], red!.log());
  });
});
