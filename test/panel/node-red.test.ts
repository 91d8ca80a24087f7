import { strict as assert } from 'assert';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { freePort } from '../e2e/harness';

// The panel's command route in a real Node-RED, where the admin app (mounted at the same root as the
// HTTP nodes) parses JSON bodies of every path before any node route sees them: the panel must still
// answer a bad or oversized body with its own JSON error, and httpNodeAuth must still guard it.

const ROOT = path.join(__dirname, '..', '..', '..');
const ENGINE = {
  id: 'engine', type: 'loopstation-engine', name: 'looper', backend: 'null', inputDevice: '', outputDevice: '', sampleRate: 48000, blockSize: 256,
  inputLatencyFrames: 0, tracks: 4, bpm: 120, beatsPerBar: 4, quantize: 'off', crossfadeFrames: 128, countInBars: 0, clickSound: '', sessionDir: '', memoryMiB: 16,
};
const FLOW = [{ id: 'tab', type: 'tab', label: 'panel' }, ENGINE, { id: 'panel', type: 'loopstation-panel', z: 'tab', name: '', engine: 'engine', path: 'looper', wires: [[]] }];

interface Answer {
  status: number;
  type: string;
  body: string;
}

function request(port: number, method: string, urlPath: string, headers: Record<string, string> = {}, body: string | Buffer = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text }));
    });
    // the server may answer (413) and close before the whole body is sent
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(body);
  });
}

/** Starts node-red on a temp userDir with `settings` (a settings.js body); resolves once the panel answers. */
async function startNodeRed(settings: string, headers: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-nr-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'node-red-contrib-loopstation'), 'dir');
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(FLOW));
  fs.writeFileSync(path.join(dir, 'settings.js'), `module.exports = ${settings};\n`);
  const port = await freePort();
  const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', dir, '--settings', path.join(dir, 'settings.js'), '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (let i = 0; ; i++) {
    const answer = await request(port, 'GET', '/loopstation/looper/', headers).catch(() => null);
    if (answer?.status === 200 || answer?.status === 401) break;
    if (i > 400 || child.exitCode !== null) assert.fail(`Node-RED did not serve the panel:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, port, dir };
}

async function stop(nr: { child: ChildProcess; dir: string }): Promise<void> {
  if (nr.child.exitCode === null) {
    const exited = new Promise((resolve) => nr.child.once('exit', resolve));
    nr.child.kill('SIGINT');
    await exited;
  }
  fs.rmSync(nr.dir, { recursive: true, force: true });
}

async function tokenOf(port: number, headers: Record<string, string> = {}): Promise<string> {
  const page = await request(port, 'GET', '/loopstation/looper/', headers);
  return /<meta name="loopstation-token" content="([^"]+)">/.exec(page.body)?.[1] ?? '';
}

describe('panel: command bodies in a real Node-RED', function () {
  this.timeout(60000);

  describe('admin and HTTP nodes on the same root', () => {
    let nr: Awaited<ReturnType<typeof startNodeRed>>;
    before(async () => (nr = await startNodeRed('{ flowFile: "flows.json", logging: { console: { level: "warn" } } }')));
    after(async () => stop(nr));

    it('a bad JSON body gets the panel\'s JSON 400, not the admin parser\'s HTML stack trace', async () => {
      const token = await tokenOf(nr.port);
      const res = await request(nr.port, 'POST', '/loopstation/looper/command', { 'Content-Type': 'application/json', 'X-Loopstation-Token': token }, '{"command": "play",');
      assert.equal(res.status, 400, res.body);
      assert.match(res.type, /^application\/json/);
      assert.deepEqual(JSON.parse(res.body), { error: 'body: not JSON; accepted: {"command": "<name>", "track": <n>, "value": <v>}' });
      assert.doesNotMatch(res.body, /node_modules|at [A-Za-z]/);
    });

    it('a 3 MB body is refused at 4096 bytes with a JSON 413', async () => {
      const token = await tokenOf(nr.port);
      const big = JSON.stringify({ command: 'play', track: 1, pad: 'x'.repeat(3 * 2 ** 20) });
      const res = await request(nr.port, 'POST', '/loopstation/looper/command', { 'Content-Type': 'application/json', 'X-Loopstation-Token': token }, big);
      assert.equal(res.status, 413, res.body);
      assert.deepEqual(JSON.parse(res.body), { error: 'body: larger than 4096 bytes; accepted: {"command", "track", "value"}' });
    });

    it('a good command with the page\'s token plays; without it, or from a rebound Host, it is refused', async () => {
      const token = await tokenOf(nr.port);
      const json = { 'Content-Type': 'application/json' };
      const ok = await request(nr.port, 'POST', '/loopstation/looper/command', { ...json, 'X-Loopstation-Token': token }, '{"command":"toggle","track":1}');
      assert.equal(ok.status, 200, ok.body);
      assert.equal((await request(nr.port, 'POST', '/loopstation/looper/command', json, '{"command":"toggle","track":1}')).status, 403);
      const rebound = await request(nr.port, 'POST', '/loopstation/looper/command', { ...json, 'X-Loopstation-Token': token, Host: 'rebind.example:1880', Origin: 'http://rebind.example:1880' }, '{"command":"clear","track":1}');
      assert.equal(rebound.status, 403, rebound.body);
    });
  });

  describe('with httpNodeAuth', () => {
    let nr: Awaited<ReturnType<typeof startNodeRed>>;
    const basic = { Authorization: `Basic ${Buffer.from('pi:secret').toString('base64')}` };
    before(async () => {
      const bcrypt = require(require.resolve('bcryptjs', { paths: [path.dirname(require.resolve('node-red/package.json'))] })) as { hashSync(p: string, r: number): string };
      nr = await startNodeRed(`{ flowFile: "flows.json", logging: { console: { level: "warn" } }, httpNodeAuth: { user: "pi", pass: ${JSON.stringify(bcrypt.hashSync('secret', 8))} } }`, basic);
    });
    after(async () => stop(nr));

    it('the page and the commands still need the password', async () => {
      assert.equal((await request(nr.port, 'GET', '/loopstation/looper/')).status, 401);
      const token = await tokenOf(nr.port, basic);
      assert.ok(token);
      const body = '{"command":"toggle","track":1}';
      const headers = { 'Content-Type': 'application/json', 'X-Loopstation-Token': token };
      assert.equal((await request(nr.port, 'POST', '/loopstation/looper/command', headers, body)).status, 401);
      const ok = await request(nr.port, 'POST', '/loopstation/looper/command', { ...headers, ...basic }, body);
      assert.equal(ok.status, 200, ok.body);
    });
  });
});
