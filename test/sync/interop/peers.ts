import { ChildProcess, execFile, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';

// The real Link peers the interop tests and the bench run against, and the private network namespace
// they run in. Nothing here runs on the host's own network: every process that sends Link multicast
// is started by a script that runs inside `unshare -n` (see inNamespace).

const PEER_SOURCE = path.join(__dirname, '../../../../test/sync/peer/peer.cpp');
const LINK_HEADER = '/usr/include/ableton/Link.hpp';
const JACK_SERVER = 'loopstation-link-test';

/** Why the interop tests cannot run here, or undefined when they can. */
export function interopUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'Link interop tests need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'Link interop tests need root for unshare -n (a private network namespace)';
  if (!existsSync(LINK_HEADER)) return 'Link interop tests need ableton-link-dev (apt-get install ableton-link-dev)';
  if (spawnSync('g++', ['--version'], { stdio: 'ignore' }).error) return 'Link interop tests need g++ to build the test peer';
  if (spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) return 'unshare -n is refused here (no CAP_SYS_ADMIN)';
  return undefined;
}

export function linkHutUnavailable(): string | undefined {
  if (spawnSync('which', ['LinkHut'], { stdio: 'ignore' }).status !== 0) return 'LinkHut is not installed (apt-get install ableton-link-utils)';
  if (spawnSync('which', ['jackd'], { stdio: 'ignore' }).status !== 0) return 'LinkHut needs jackd (apt-get install jackd2)';
  if (spawnSync('which', ['script'], { stdio: 'ignore' }).status !== 0) return 'LinkHut runs in a pty made by script (util-linux)';
  return undefined;
}

/** Compiles the test peer into the OS temp dir (once per source version); returns the binary's path. */
export function buildTestPeer(): string {
  const source = readFileSync(PEER_SOURCE);
  const binary = path.join(tmpdir(), `loopstation-link-peer-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  const r = spawnSync('g++', ['-std=c++14', '-O2', '-DLINK_PLATFORM_LINUX=1', '-I/usr/include/ableton', '-o', binary, PEER_SOURCE, '-lpthread'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compiling the Link test peer failed:\n${r.stderr}`);
  return binary;
}

/**
 * Runs `node script args...` in a new network namespace with only loopback, up, and multicast routed
 * to it. Resolves with its stdout; rejects with its stderr when it exits non-zero.
 */
export function inNamespace(script: string, args: string[], timeoutMs = 60000): Promise<string> {
  const setup = 'ip link set lo up && ip route add 224.0.0.0/4 dev lo && exec "$@"';
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-n', 'sh', '-c', setup, 'sh', process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(script)} ${args.join(' ')} exited with ${code}:\n${err}${out}`));
    });
  });
}

/** True inside a namespace made by inNamespace: only loopback is there. */
export function insideTestNamespace(): boolean {
  const r = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().split('\n').every((l) => / lo:/.test(l));
}

export interface RefStatus {
  now: number;
  tempo: number;
  beat: number;
  phase: number;
  peers: number;
  playing: boolean;
}

/** The compiled test peer, driven line by line. */
export class TestPeer {
  private readonly child: ChildProcess;
  private buffer = '';
  private waiting: ((line: string) => void)[] = [];
  private readonly ready: Promise<string>;

  constructor(binary: string, bpm: number) {
    this.child = spawn(binary, [String(bpm)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      let i;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
    this.ready = this.next();
  }

  /** the peer's process id (the benches read its CPU) */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async command(line: string): Promise<string> {
    await this.ready;
    const answer = this.next();
    this.child.stdin?.write(`${line}\n`);
    return answer;
  }

  async status(): Promise<RefStatus> {
    const line = await this.command('status');
    const v = (k: string): number => Number((new RegExp(`${k}=([-\\d.]+)`).exec(line) ?? [])[1]);
    return { now: v('now'), tempo: v('tempo'), beat: v('beat'), phase: v('phase'), peers: v('peers'), playing: v('playing') === 1 };
  }

  /** The peer's beat at host time `micros` (CLOCK_MONOTONIC, as hostMicros). */
  async beatAt(micros: number): Promise<number> {
    const line = await this.command(`beatat ${Math.round(micros)}`);
    return Number((/ beat=([-\d.]+)/.exec(line) ?? [])[1]);
  }

  async quit(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin?.write('quit\n');
    await exited;
  }
}

export interface HutStatus {
  enabled: boolean;
  peers: number;
  quantum: number;
  tempo: number;
  beats: number;
}

/** Debian's LinkHut in a pty, with a JACK server of its own on the dummy driver (LinkHut plays its click through JACK). */
export class LinkHut {
  private readonly jack: ChildProcess;
  private hut: ChildProcess | undefined;
  private screen = '';

  constructor() {
    this.jack = spawn('jackd', ['-n', JACK_SERVER, '-d', 'dummy', '-r', '48000', '-p', '1024'], { stdio: 'ignore', env: { ...process.env, JACK_NO_AUDIO_RESERVATION: '1' } });
  }

  async start(): Promise<void> {
    // until the server answers (jack_wait -w), rather than a guess at how long it takes to start
    await new Promise<void>((resolve, reject) =>
      execFile('jack_wait', ['-s', JACK_SERVER, '-w', '-t', '10'], { env: { ...process.env, JACK_NO_START_SERVER: '1' } }, (err) => (err ? reject(new Error(`the JACK server for LinkHut did not start: ${err.message}`)) : resolve())),
    );
    const env = { ...process.env, JACK_DEFAULT_SERVER: JACK_SERVER, JACK_NO_START_SERVER: '1', JACK_NO_AUDIO_RESERVATION: '1', TERM: 'dumb' };
    this.hut = spawn('script', ['-qfec', 'LinkHut', '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.hut.stdout?.on('data', (d: Buffer) => (this.screen = (this.screen + d.toString()).slice(-4000)));
    await this.until((s) => s !== undefined, 5000, 'LinkHut shows its status line');
  }

  /** The last complete status line LinkHut drew. */
  status(): HutStatus | undefined {
    const lines = this.screen.split(/\r|\n/).filter((l) => /^(yes|no)\s+\|/.test(l) && l.split('|').length >= 7);
    const last = lines[lines.length - 2] ?? lines[lines.length - 1];
    if (!last) return undefined;
    const f = last.split('|').map((s) => s.trim());
    return { enabled: f[0] === 'yes', peers: Number(f[1]), quantum: Number(f[2]), tempo: Number(f[4]), beats: Number(f[5]) };
  }

  key(k: string): void {
    this.hut?.stdin?.write(k);
  }

  async until(ok: (s: HutStatus | undefined) => boolean, ms: number, what: string): Promise<HutStatus> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.status();
      if (ok(s)) return s as HutStatus;
      if (Date.now() > end) throw new Error(`LinkHut: timed out waiting until ${what}; last status ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.hut) {
      const exited = new Promise((r) => this.hut?.once('exit', r));
      this.key('q');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      this.hut.kill('SIGKILL');
    }
    this.jack.kill('SIGTERM');
  }
}
