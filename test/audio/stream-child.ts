// Runs one real PortAudio job in a child process (forked with piped stdio by the tests and by
// measure.ts), because naudiodon prints from C to stdout and ALSA reads ALSA_CONFIG_PATH only at load.
// The job comes as JSON in argv[2]; the result goes back over IPC as one message.

import { performance } from 'perf_hooks';
import {
  AudioDevice,
  CloseResult,
  DeviceSpec,
  listDevices,
  openDuplex,
  openInput,
  openOutput,
  PortAudioStream,
} from '../../lib/io/portaudio';
import { analyseLoopback, LoopbackAnalysis, makeTestBlock } from './signal';

export interface StreamJobBase {
  sampleRate: number;
  framesPerBuffer: number;
  /** Input blocks to capture, or output blocks to play. */
  blocks: number;
}
export type ChildJob =
  | { job: 'devices' }
  | ({ job: 'play'; device?: DeviceSpec } & StreamJobBase)
  | ({ job: 'capture'; device?: DeviceSpec } & StreamJobBase)
  | ({ job: 'loopback'; mode: 'separate' | 'duplex'; inputDevice?: DeviceSpec; outputDevice?: DeviceSpec } & StreamJobBase);

export interface PlayResult {
  device: AudioDevice;
  /** From start() until the last block was taken by naudiodon. */
  elapsedMs: number;
  audioMs: number;
  close: CloseResult;
}
export interface DevicesResult {
  devices: AudioDevice[];
  /** Must stay false: the stub replaces it. */
  segfaultHandlerLoaded: boolean;
}
export interface CaptureResult {
  device: AudioDevice;
  firstDataMs: number;
  elapsedMs: number;
  audioMs: number;
  /** Distinct chunk sizes seen: one block each. */
  chunkBytes: number[];
  analysis: LoopbackAnalysis;
  close: CloseResult;
}
export interface LoopbackResult {
  mode: 'separate' | 'duplex';
  inputDevice: AudioDevice;
  outputDevice: AudioDevice;
  prefillBuffers: number;
  firstDataMs: number;
  analysis: LoopbackAnalysis;
  close: CloseResult[];
}
export type ChildReply = { ok: true; result: unknown } | { ok: false; error: string; name: string };

const once = <T>(f: (resolve: (v: T) => void) => void) => new Promise<T>(f);

async function play(job: Extract<ChildJob, { job: 'play' }>): Promise<PlayResult> {
  const out = openOutput({ ...job });
  const start = performance.now();
  await out.start();
  for (let n = 0; n < job.blocks - 1; n++) {
    if (!out.write(makeTestBlock(n, job.framesPerBuffer))) await once<void>((r) => out.once('drain', r));
  }
  await once<void>((r) => out.write(makeTestBlock(job.blocks - 1, job.framesPerBuffer), () => r()));
  const elapsedMs = performance.now() - start;
  const close = await out.close();
  return { device: out.outputDevice!, elapsedMs, audioMs: (job.blocks * job.framesPerBuffer * 1000) / job.sampleRate, close };
}

async function capture(job: Extract<ChildJob, { job: 'capture' }>): Promise<CaptureResult> {
  const input = openInput({ ...job });
  const captured: Buffer[] = [];
  let firstDataMs = -1;
  const start = performance.now();
  const done = once<void>((resolve) =>
    input.on('data', (chunk) => {
      if (captured.length === 0) firstDataMs = performance.now() - start;
      if (captured.length >= job.blocks) return;
      captured.push(chunk);
      if (captured.length === job.blocks) resolve();
    }),
  );
  await input.start();
  await done;
  const elapsedMs = performance.now() - start;
  const close = await input.close();
  return {
    device: input.inputDevice!,
    firstDataMs,
    elapsedMs,
    audioMs: (job.blocks * job.framesPerBuffer * 1000) / job.sampleRate,
    chunkBytes: [...new Set(captured.map((c) => c.length))],
    analysis: analyseLoopback(Buffer.concat(captured)),
    close,
  };
}

/** Like the engine host: each input block received makes one output block, so both share a frame count. */
async function loopback(job: Extract<ChildJob, { job: 'loopback' }>): Promise<LoopbackResult> {
  const common = { sampleRate: job.sampleRate, framesPerBuffer: job.framesPerBuffer };
  let input: PortAudioStream;
  let output: PortAudioStream;
  if (job.mode === 'duplex') {
    input = output = openDuplex({ ...common, inputDevice: job.inputDevice, outputDevice: job.outputDevice });
  } else {
    output = openOutput({ ...common, device: job.outputDevice });
    input = openInput({ ...common, device: job.inputDevice });
  }
  const captured: Buffer[] = [];
  let firstDataMs = -1;
  const start = performance.now();
  const done = once<void>((resolve) =>
    input.on('data', (chunk) => {
      if (captured.length === 0) firstDataMs = performance.now() - start;
      if (captured.length >= job.blocks) return;
      output.write(makeTestBlock(captured.length, job.framesPerBuffer));
      captured.push(chunk);
      if (captured.length === job.blocks) resolve();
    }),
  );
  if (output !== input) await output.start();
  await input.start();
  await done;
  const close = output === input ? [await input.close()] : await Promise.all([input.close(), output.close()]);
  return {
    mode: job.mode,
    inputDevice: input.inputDevice!,
    outputDevice: output.outputDevice!,
    prefillBuffers: output.options.prefillBuffers,
    firstDataMs,
    analysis: analyseLoopback(Buffer.concat(captured)),
    close,
  };
}

async function run(job: ChildJob): Promise<unknown> {
  switch (job.job) {
    case 'devices':
      return {
        devices: listDevices(),
        segfaultHandlerLoaded: Object.keys(require.cache).some((p) => p.includes('segfault-handler')),
      } satisfies DevicesResult;
    case 'play':
      return play(job);
    case 'capture':
      return capture(job);
    case 'loopback':
      return loopback(job);
  }
}

if (require.main === module) {
  const job = JSON.parse(process.argv[2]) as ChildJob;
  run(job).then(
    (result) => process.send!({ ok: true, result } satisfies ChildReply, () => process.exit(0)),
    (err: Error) => process.send!({ ok: false, error: err.message, name: err.name } satisfies ChildReply, () => process.exit(0)),
  );
}
