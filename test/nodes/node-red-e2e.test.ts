import { ChildProcess, execFileSync, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import WebSocket from 'ws';
import { assert, wait } from './harness';
import { freePort } from '../e2e/harness';

// End to end: a real Node-RED (the node-red package) in a temp userDir with this package installed,
// example (a) deployed over the admin HTTP API, its inject buttons pressed over HTTP, and the loop's
// states read back from the editor's websocket (debug sidebar and node statuses). The engine runs in
// the forked host; with no sound card it runs on the null backend.

const ROOT = path.join(__dirname, '..', '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', '01 Inject buttons.json');

type FlowNode = { id: string; type: string; name?: string; x?: number; [k: string]: unknown };
type CommsMsg = { topic: string; data: Record<string, unknown> };

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter((p) => p > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('nodes: end to end in a real Node-RED', function () {
  this.timeout(60000);
  let userDir: string;
  let nodeRed: ChildProcess;
  let base: string;
  let output = '';
  const comms: CommsMsg[] = [];
  let socket: WebSocket;

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-e2e-'));
    // "installed": where `npm install node-red-contrib-loopstation` in ~/.node-red would put it
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-loopstation'), 'dir');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    nodeRed = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    });
    nodeRed.stdout!.on('data', (d) => (output += d));
    nodeRed.stderr!.on('data', (d) => (output += d));
    // Node-RED logs this line once its HTTP server listens
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${output}`)), 30000);
      const check = (): void => {
        if (!/Server now running at/.test(output)) return;
        clearTimeout(timer);
        resolve();
      };
      nodeRed.stdout!.on('data', check);
      nodeRed.stderr!.on('data', check);
      nodeRed.once('exit', (code) => reject(new Error(`Node-RED exited with ${code}:\n${output}`)));
    });
    assert.ok((await fetch(`${base}/settings`)).ok);
    socket = new WebSocket(`ws://127.0.0.1:${port}/comms`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.on('message', (data) => comms.push(...(JSON.parse(String(data)) as CommsMsg[])));
    socket.send(JSON.stringify({ subscribe: 'debug' }));
    socket.send(JSON.stringify({ subscribe: 'status/#' }));
  });

  after(async () => {
    socket?.close();
    if (nodeRed && nodeRed.exitCode === null) {
      nodeRed.kill('SIGKILL');
      await new Promise((resolve) => nodeRed.once('exit', resolve));
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function until<T>(what: string, find: () => T | undefined, ms = 10000): Promise<T> {
    for (const end = Date.now() + ms; Date.now() < end; await wait(25)) {
      const found = find();
      if (found !== undefined) return found;
    }
    return assert.fail(`${what} within ${ms} ms; Node-RED said:\n${output.slice(-3000)}`);
  }

  it('loads the six node types from the package, with their catalogs', async () => {
    const nodes = (await (await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } })).json()) as { module: string; types: string[]; err?: string }[];
    const ours = nodes.filter((n) => n.module === 'node-red-contrib-loopstation');
    assert.deepEqual(ours.filter((n) => n.err).map((n) => n.err), []);
    const types = ours.flatMap((n) => n.types);
    for (const t of ['loopstation-engine', 'loopstation-audio-in', 'loopstation-metronome', 'loopstation-loop-recorder', 'loopstation-mixer', 'loopstation-audio-out']) {
      assert.ok(types.includes(t), `${t} not loaded`);
    }
    const catalog = (await (await fetch(`${base}/nodes/messages?lng=en-US`)).json()) as Record<string, Record<string, { status: Record<string, string> }>>;
    // the shared statuses user nodes show are resolved through this namespace
    assert.equal(catalog['node-red-contrib-loopstation/loopstation-engine']['loopstation-engine'].status['not-available'], 'not available');
    const help = await (await fetch(`${base}/nodes`, { headers: { Accept: 'text/html' } })).text();
    for (const t of ['loopstation-loop-recorder', 'loopstation-metronome', 'loopstation-mixer']) assert.ok(help.includes(`data-help-name="${t}"`), `no help for ${t}`);
    const devices = await fetch(`${base}/loopstation/devices`);
    assert.equal(devices.status, 200);
  });

  it('deploys example (a), records a loop from its inject buttons and reads the states back', async () => {
    const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    const flows = [{ id: 'e2etab', type: 'tab', label: 'looper' }, ...example.map((n) => ('x' in n ? { ...n, z: 'e2etab' } : n))];
    const deploy = await fetch(`${base}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    assert.equal(deploy.status, 204, await deploy.text());
    const id = (type: string, name: string) => example.find((n) => n.type === type && n.name === name)!.id;
    const recorder = id('loopstation-loop-recorder', 'track 1');
    const track1Debug = id('debug', 'track 1');
    const press = async (name: string) => assert.equal((await fetch(`${base}/inject/${id('inject', name)}`, { method: 'POST' })).status, 200);

    // the engine host is up once the recorder shows its own state
    await until('the recorder to show "empty"', () => comms.find((m) => m.topic === `status/${recorder}` && m.data.text === 'empty'));
    await press('start');
    await press('record');
    // the debug node shows the whole msg: its sidebar entry is the msg as JSON
    const debugged = (payload: string) => comms.find((m) => m.topic === 'debug' && m.data.id === track1Debug && JSON.parse(String(m.data.msg)).payload === payload);
    const recording = await until('"recording" in the debug sidebar', () => debugged('recording'));
    assert.deepEqual(Object.keys(JSON.parse(String(recording.data.msg))).sort(), ['_msgid', 'bars', 'frame', 'frames', 'payload', 'seconds', 'track']);
    await until('the recorder status "recording"', () => comms.find((m) => m.topic === `status/${recorder}` && m.data.text === 'recording' && m.data.fill === 'red'));
    // within the bar that the recording started on: it ends on the next bar line
    await press('record');
    const played = JSON.parse(String((await until('"playing" in the debug sidebar', () => debugged('playing'))).data.msg));
    assert.equal(played.frames, 96000, 'a bar at 120 bpm: quantized to the bar');
    const playing = await until('the recorder status "playing · 1 bar"', () => comms.find((m) => m.topic === `status/${recorder}` && m.data.text === 'playing · 1 bar'));
    assert.equal(playing.data.fill, 'green');
  });

  it('stops cleanly: Node-RED exits on SIGINT and takes the engine host with it', async () => {
    const hosts = childrenOf(nodeRed.pid!);
    assert.equal(hosts.length, 1, `engine host processes: ${hosts}`);
    nodeRed.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => nodeRed.once('exit', resolve));
    assert.equal(code, 0, output.slice(-2000));
    await until('the engine host to exit', () => (hosts.every((p) => !alive(p)) ? true : undefined), 5000);
  });
});
