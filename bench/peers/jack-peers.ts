import { ChildProcess, execFileSync, spawn } from 'child_process';
import dgram from 'dgram';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { encodeMessage } from '../../lib/osc/codec';

// The live peers of the benches, started headless with no sound card: a private JACK server on the dummy
// backend (paced like a card), and SooperLooper 1.7.8 (Debian's package) joined to it, driven over its
// OSC port. Needs: apt-get install -y jackd2 sooperlooper gcc.

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface JackServer {
  name: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * The server's realtime priority: above the engine's worker (the looper's --realtime, 20 in the benches),
 * as audio set-ups run JACK (jackd2's own default, 10, put the graph below the engine that waits on it).
 */
const JACK_PRIORITY = 70;

/**
 * jackd -d dummy under a private name; resolves once it answers. realtime: its process thread (and its
 * clients') at SCHED_FIFO priority JACK_PRIORITY, as on a Pi set up for audio (needs root or an rtprio
 * limit); else a late cycle of the server itself costs every client the same frames.
 */
export async function startJackDummy(name: string, sampleRate: number, period: number, realtime = false): Promise<JackServer> {
  const env = { ...process.env, JACK_DEFAULT_SERVER: name, JACK_NO_START_SERVER: '1', JACK_NO_AUDIO_RESERVATION: '1' };
  const priority = realtime ? ['--realtime', '-P', String(JACK_PRIORITY)] : ['--no-realtime'];
  const args = ['-n', name, ...priority, '-d', 'dummy', '-r', String(sampleRate), '-p', String(period)];
  const jackd = spawn('jackd', args, { env, stdio: 'ignore' });
  for (let i = 0; i < 40; i++) {
    try {
      execFileSync('jack_lsp', ['-s', name], { env, stdio: 'ignore' });
      return { name, env, stop: () => stopChild(jackd) };
    } catch {
      await wait(250);
    }
  }
  await stopChild(jackd);
  throw new Error(`the JACK server ${name} did not come up (is jackd2 installed?)`);
}

export interface SooperLooper {
  pid: number;
  /** sends one OSC message to it */
  send(address: string, types: string, args: (string | number)[]): void;
  stop(): Promise<void>;
}

/** SooperLooper with `loops` stereo loops on `jack`, OSC on 127.0.0.1:`port`, MIDI guarded off (see seq-null-guard.c). */
export async function startSooperLooper(jack: JackServer, loops: number, port: number): Promise<SooperLooper> {
  const guard = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-slguard-')), 'seq-null-guard.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', guard, path.join(__dirname, '..', '..', '..', 'bench', 'peers', 'seq-null-guard.c'), '-ldl']);
  const sl = spawn('sooperlooper', ['-p', String(port), '-l', String(loops), '-c', '2'], { env: { ...jack.env, LD_PRELOAD: guard }, stdio: 'ignore' });
  const socket = dgram.createSocket('udp4');
  const send = (address: string, types: string, args: (string | number)[]) => socket.send(encodeMessage(address, types, args), port, '127.0.0.1');
  // it answers a ping once its OSC server runs
  const pong = new Promise<void>((resolve) => socket.once('message', () => resolve()));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const url = `osc.udp://127.0.0.1:${socket.address().port}/`;
  for (let i = 0; i < 40; i++) {
    send('/ping', 'ss', [url, '/pong']);
    const answered = await Promise.race([pong.then(() => true), wait(250).then(() => false)]);
    if (answered) {
      return {
        pid: sl.pid!,
        send,
        stop: async () => {
          socket.close();
          await stopChild(sl);
          fs.rmSync(path.dirname(guard), { recursive: true, force: true });
        },
      };
    }
  }
  socket.close();
  await stopChild(sl);
  throw new Error('sooperlooper did not answer /ping (is the sooperlooper package installed?)');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
