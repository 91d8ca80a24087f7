// Shared by the real-audio tests: run a job in a stream child, set up the ALSA null devices, probe the
// PulseAudio null sink, and gate: skip when a setup is missing, fail under LOOPSTATION_REQUIRE_AUDIO=1.

import { execFileSync, fork } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Context } from 'mocha';
import { parseNaudiodonLine } from '../../lib/io/portaudio';
import type { ChildJob, ChildReply } from './stream-child';
import { makeTestBlock } from './signal';

export interface ChildRun {
  reply: ChildReply;
  /** naudiodon's C-level prints: kept here, out of the test runner's output. */
  stdout: string;
  stderr: string;
  xrunLines: number;
}

export function runChild(
  job: ChildJob,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; preload?: string; timeoutMs?: number } = {},
): Promise<ChildRun> {
  const child = fork(path.join(__dirname, 'stream-child.js'), [JSON.stringify(job)], {
    silent: true,
    env: options.env ?? process.env,
    cwd: options.cwd,
    execArgv: options.preload ? ['--require', options.preload] : [],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let reply: ChildReply | undefined;
  child.on('message', (m) => (reply = m as ChildReply));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stream child timed out on ${job.job}; stdout: ${stdout.slice(-500)}`));
    }, options.timeoutMs ?? 25000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!reply) {
        reject(new Error(`stream child exited (${code ?? signal}) without a reply; stderr: ${stderr.slice(-500)}`));
        return;
      }
      const xrunLines = stdout.split('\n').filter((l) => parseNaudiodonLine(l).kind === 'xrun').length;
      resolve({ reply, stdout, stderr, xrunLines });
    });
  });
}

/** The child's result, or a failure that carries the child's error. */
export function resultOf<T>(run: ChildRun): T {
  if (!run.reply.ok) throw new Error(`stream child failed: ${run.reply.name}: ${run.reply.error}`);
  return run.reply.result as T;
}

/** Skips the current test or hook, unless LOOPSTATION_REQUIRE_AUDIO=1 makes a missing setup a failure. */
export function requireAudio(ctx: Context, reason: string | undefined): void {
  if (reason === undefined) return;
  // one line, whatever a child or a tool printed
  const line = reason.split('\n')[0].trim();
  if (process.env.LOOPSTATION_REQUIRE_AUDIO === '1') {
    throw new Error(`real audio required (LOOPSTATION_REQUIRE_AUDIO=1) but unavailable: ${line}`);
  }
  console.log(`      skipped: ${line}`);
  ctx.skip();
}

export const FILE_DEVICE_BLOCKS = 400;

/**
 * An ALSA configuration with no sound card and no daemon: `default` is the null device (unpaced,
 * capture returns whatever is in PortAudio's buffer), and `loopfile` reads capture from `in.raw`
 * (the test signal) and writes playback to `out.raw`, so sample content can be checked.
 * The system alsa.conf is not needed, and leaving it out keeps ALSA's probe noise off stderr.
 */
export class AlsaNullSetup {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopstation-alsa-'));
  readonly confPath = path.join(this.dir, 'asound.conf');
  readonly inPath = path.join(this.dir, 'in.raw');
  readonly outPath = path.join(this.dir, 'out.raw');

  constructor(framesPerBuffer: number) {
    const blocks = Array.from({ length: FILE_DEVICE_BLOCKS }, (_, n) => makeTestBlock(n, framesPerBuffer));
    fs.writeFileSync(this.inPath, Buffer.concat(blocks));
    fs.writeFileSync(
      this.confPath,
      [
        'pcm.!default { type null }',
        'pcm.loopfile {',
        '  type file',
        '  slave.pcm { type null }',
        `  file "${this.outPath}"`,
        `  infile "${this.inPath}"`,
        '  format "raw"',
        '}',
        '',
      ].join('\n'),
    );
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, ALSA_CONFIG_PATH: this.confPath };
  }

  readOutput(): Buffer {
    return fs.readFileSync(this.outPath);
  }

  removeOutput(): void {
    fs.rmSync(this.outPath, { force: true });
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export const PULSE_SINK = 'loop';

/** The env for a child that talks to the null sink through ALSA's "pulse" device. */
export function pulseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PULSE_SINK, PULSE_SOURCE: `${PULSE_SINK}.monitor` };
  delete env.ALSA_CONFIG_PATH;
  return env;
}

/** The private JACK server of the audio tests (test/audio/start-jack-dummy.sh). */
export const JACK_SERVER = process.env.LOOPSTATION_JACK_SERVER ?? 'loopstation-test';

/** Why the test JACK server cannot be used, or undefined when it answers. */
export function jackUnavailableReason(): string | undefined {
  try {
    execFileSync('jack_lsp', ['-s', JACK_SERVER], { stdio: 'ignore', env: { ...process.env, JACK_NO_START_SERVER: '1' } });
    return undefined;
  } catch {
    return `no JACK server "${JACK_SERVER}" answers (apt-get install -y jackd2; test/audio/start-jack-dummy.sh)`;
  }
}

/** The env for a child that joins the test JACK server (and never starts one). */
export const jackEnv = (): NodeJS.ProcessEnv => ({ ...process.env, JACK_DEFAULT_SERVER: JACK_SERVER, JACK_NO_START_SERVER: '1' });

/** Why the PulseAudio null sink cannot be used, or undefined when it can (see start-pulse-null.sh). */
export function pulseUnavailableReason(): string | undefined {
  try {
    const sinks = execFileSync('pactl', ['list', 'short', 'sinks'], { encoding: 'utf8', stdio: 'pipe', timeout: 5000 });
    if (!sinks.split('\n').some((l) => l.split('\t')[1] === PULSE_SINK)) {
      return `PulseAudio runs but has no sink "${PULSE_SINK}" (run test/audio/start-pulse-null.sh)`;
    }
    return undefined;
  } catch (err) {
    return `no PulseAudio daemon answers pactl (${(err as Error).message.split('\n')[0]}); run test/audio/start-pulse-null.sh`;
  }
}
