import { ChildProcess, execFileSync, spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

// End-to-end helpers: the looper as `npm start` runs it (scripts/start.js, on a temporary userDir and a
// free port), the processes it leaves (or must not leave), and the gate for the browser tests.

export const ROOT = path.join(__dirname, '..', '..', '..');
export const CHROMIUM = process.env.LOOPSTATION_CHROMIUM || '/usr/bin/chromium';
/** The flags this machine needs (no GPU, no sandbox as root, no network of Chromium's own). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Skips the calling test when there is no Chromium, unless LOOPSTATION_REQUIRE_BROWSER=1 makes that a failure. */
export function requireBrowser(ctx: Mocha.Context): void {
  if (fs.existsSync(CHROMIUM)) return;
  const why = `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.LOOPSTATION_REQUIRE_BROWSER === '1') throw new Error(`${why}; LOOPSTATION_REQUIRE_BROWSER=1 needs it`);
  ctx.skip();
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `loopstation-${prefix}-`));
}

/**
 * What the engine host of a machine without a sound card sees, whatever this machine has: ALSA's default
 * device names a card that is not there (an ALSA config with no default at all makes PortAudio abort), no
 * PulseAudio server, and no JACK server started. The engine's "auto" then runs on the null device, as users
 * without a card see it. Writes the ALSA config into `dir`.
 */
/** The starter flow with its engine on the null backend (no audio device needed). */
export function starterFlowOnNull(overrides: Record<string, unknown> = {}): Record<string, unknown>[] {
  const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'starter-looper.json'), 'utf8')) as Record<string, unknown>[];
  return flow.map((n) => (n.type === 'loopstation-engine' ? { ...n, backend: 'null', ...overrides } : n));
}

export function noSoundCardEnv(dir: string): NodeJS.ProcessEnv {
  const conf = path.join(dir, 'alsa-no-card.conf');
  fs.writeFileSync(conf, 'pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n');
  return { ALSA_CONFIG_PATH: conf, PULSE_SERVER: 'unix:/nonexistent/pulse/native', JACK_NO_START_SERVER: '1' };
}

export interface Looper {
  child: ChildProcess;
  editorUrl: string;
  panelUrl: string;
  output(): string;
  /** Ctrl-C: SIGINT to start.js; resolves with its exit code */
  interrupt(timeoutMs?: number): Promise<number | null>;
}

/** Starts scripts/start.js with PORT=0 on `userDir`; resolves once it printed the panel URL. */
export function startLooper(userDir: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 60000): Promise<Looper> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOOPSTATION_USERDIR: userDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const interrupt = async (ms = 30000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`start.js did not exit within ${ms} ms of SIGINT; output:\n${out.slice(-3000)}`)), ms);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no panel URL within ${timeoutMs} ms; output:\n${out.slice(-3000)}`));
    }, timeoutMs);
    const check = () => {
      const editor = /editor:\s+(http\S+)/.exec(out);
      const panel = /panel:\s+(http\S+)/.exec(out);
      if (!editor || !panel) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({ child, editorUrl: editor[1], panelUrl: panel[1], output: () => out, interrupt });
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`start.js exited (${code}) before it printed the URLs; output:\n${out.slice(-3000)}`));
    });
  });
}

/** Every process below `pid` (children, grandchildren...), read from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the command name is in parentheses and may hold spaces: the fields after it are fixed
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until fn returns a truthy value, or rejects naming `what`. */
type Falsy = undefined | null | false | 0 | '';
export async function until<T>(what: string, fn: () => T | Falsy | Promise<T | Falsy>, timeoutMs = 10000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await wait(everyMs);
  }
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * The npm the tests were started with (npm_execpath under `npm test`/npx), else the one beside node: not
 * whichever is first in PATH, since node-red brings its own npm 10 into node_modules/.bin, and that one's
 * `pack` runs the prepare script (a full rebuild of dist/ under the running tests) despite --ignore-scripts.
 */
export function npm(args: string[], options: { cwd: string }): string {
  const cli = process.env.npm_execpath;
  const beside = path.join(path.dirname(process.execPath), 'npm');
  const run = (file: string, argv: string[]) => execFileSync(file, argv, { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (cli && /npm-cli\.js$/.test(cli)) return run(process.execPath, [cli, ...args]);
  return run(fs.existsSync(beside) ? beside : 'npm', args);
}

/** A plain Node-RED (the node-red package's red.js) on a free port with `userDir`; `log` is its output so far. */
export interface NodeRed {
  child: ChildProcess;
  base: string;
  log(): string;
}

/** Starts Node-RED and resolves once it listens (or rejects with its output when it exits first). */
export async function startNodeRed(userDir: string): Promise<NodeRed> {
  const port = await freePort();
  const child = spawn(process.execPath, [require.resolve('node-red/red.js', { paths: [ROOT] }), '--userDir', userDir, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await until('Node-RED to listen', () => /Server now running at/.test(log) || child.exitCode !== null, 60000);
  if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}):\n${log}`);
  return { child, base: `http://127.0.0.1:${port}`, log: () => log };
}

/** Stops Node-RED as Ctrl-C does, then for good after 20 s. */
export async function stopNodeRed(red: NodeRed | undefined): Promise<void> {
  const child = red?.child;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await Promise.race([exited, wait(20000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}
