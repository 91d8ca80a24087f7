// Real PortAudio streams on the ALSA null device (no card, no daemon), each run in a stream child
// with ALSA_CONFIG_PATH set, since ALSA reads it at load and naudiodon prints to stdout.

import { strict as assert } from 'assert';
import fs from 'fs';
import path from 'path';
import { AlsaNullSetup, FILE_DEVICE_BLOCKS, requireAudio, resultOf, runChild } from './harness';
import { CLICK_SPACING, makeTestBlock } from './signal';
import type { CaptureResult, DevicesResult, LoopbackResult, PlayResult } from './stream-child';

const FRAMES = 256;
const RATE = 48000;
const BLOCK_BYTES = FRAMES * 4;
const BLOCKS = 300;

/** Where the played signal (blocks 0..blocks-1) starts in the file device's output, in frames. */
function findPlayedSignal(out: Buffer, blocks: number): number {
  const signal = Buffer.concat(Array.from({ length: blocks }, (_, n) => makeTestBlock(n, FRAMES)));
  const at = out.indexOf(signal.subarray(0, BLOCK_BYTES));
  assert.ok(at >= 0, 'the first played block is not in the output file');
  assert.ok(out.subarray(at, at + signal.length).equals(signal), 'the played signal did not come out bit-exact');
  assert.ok(out.subarray(0, at).every((b) => b === 0), 'something other than silence came before the signal');
  return at / 4;
}

describe('audio: PortAudio on the ALSA null device', function () {
  this.timeout(30000);
  let setup: AlsaNullSetup;

  before(async function () {
    setup = new AlsaNullSetup(FRAMES);
    const run = await runChild({ job: 'devices' }, { env: setup.env, cwd: setup.dir });
    requireAudio(this, run.reply.ok ? undefined : `${run.reply.name}: ${run.reply.error}`);
  });

  after(() => setup?.dispose());

  it('lists the null devices, with segfault-handler stubbed and no crash.log written', async () => {
    const run = await runChild({ job: 'devices' }, { env: setup.env, cwd: setup.dir });
    const { devices, segfaultHandlerLoaded } = resultOf<DevicesResult>(run);
    const byName = new Map(devices.map((d) => [d.name, d]));
    assert.deepEqual([...byName.keys()].sort(), ['default', 'loopfile']);
    assert.equal(byName.get('default')!.isDefaultInput, true);
    assert.equal(byName.get('default')!.isDefaultOutput, true);
    assert.equal(byName.get('loopfile')!.isDefaultOutput, false);
    assert.equal(byName.get('default')!.hostAPI, 'ALSA');
    assert.equal(segfaultHandlerLoaded, false);
    assert.equal(fs.existsSync(path.join(setup.dir, 'crash.log')), false);
  });

  it('refuses an unknown device id instead of opening the default device', async () => {
    const run = await runChild(
      { job: 'play', device: 99, sampleRate: RATE, framesPerBuffer: FRAMES, blocks: 1 },
      { env: setup.env },
    );
    assert.equal(run.reply.ok, false);
    assert.ok(!run.reply.ok && run.reply.name === 'DeviceNotFoundError');
    assert.match(run.reply.error, /^no device with id 99; available: .*"loopfile"/);
    assert.match(run.reply.error, /"default" \(ALSA, 128 in\/128 out\)/);
  });

  it('refuses an unknown device name, listing what exists', async () => {
    const run = await runChild(
      { job: 'capture', device: 'USB Audio', sampleRate: RATE, framesPerBuffer: FRAMES, blocks: 1 },
      { env: setup.env },
    );
    assert.ok(!run.reply.ok);
    assert.match(run.reply.error, /no input device with 2 channels named "USB Audio"; available: .*"default"/);
  });

  it('captures the file device bit-exact, one block per chunk', async () => {
    const run = await runChild(
      { job: 'capture', device: 'loopfile', sampleRate: RATE, framesPerBuffer: FRAMES, blocks: BLOCKS },
      { env: setup.env },
    );
    const r = resultOf<CaptureResult>(run);
    assert.deepEqual(r.chunkBytes, [BLOCK_BYTES]);
    assert.equal(r.analysis.firstSignalAt, 0);
    assert.deepEqual(r.analysis.segments, [{ at: 0, frames: BLOCKS * FRAMES, latency: 0 }]);
    assert.equal(r.analysis.clicksFound, Math.ceil((BLOCKS * FRAMES) / CLICK_SPACING));
    assert.equal(r.analysis.clicksMisplaced, 0);
    assert.equal(r.close, 'closed');
    assert.equal(run.xrunLines, 0);
  });

  it('plays bit-exact to the file device, after the prefill silence', async () => {
    setup.removeOutput();
    const run = await runChild(
      { job: 'play', device: 'loopfile', sampleRate: RATE, framesPerBuffer: FRAMES, blocks: BLOCKS },
      { env: setup.env },
    );
    const r = resultOf<PlayResult>(run);
    assert.equal(r.close, 'closed');
    const startFrame = findPlayedSignal(setup.readOutput(), BLOCKS);
    // 4 prefill blocks, plus whatever silence PortAudio primes the ALSA buffer with.
    assert.ok(startFrame >= 4 * FRAMES, `signal at frame ${startFrame}, before the end of the prefill`);
    console.log(`      signal starts at output frame ${startFrame}; ${r.audioMs.toFixed(0)} ms of audio took ${r.elapsedMs.toFixed(0)} ms`);
  });

  it('runs one duplex stream: capture and playback both bit-exact', async () => {
    setup.removeOutput();
    const blocks = Math.min(BLOCKS, FILE_DEVICE_BLOCKS);
    const run = await runChild(
      {
        job: 'loopback',
        mode: 'duplex',
        inputDevice: 'loopfile',
        outputDevice: 'loopfile',
        sampleRate: RATE,
        framesPerBuffer: FRAMES,
        blocks,
      },
      { env: setup.env },
    );
    const r = resultOf<LoopbackResult>(run);
    assert.deepEqual(r.close, ['closed']);
    assert.deepEqual(r.analysis.segments, [{ at: 0, frames: blocks * FRAMES, latency: 0 }]);
    findPlayedSignal(setup.readOutput(), blocks);
  });

  it('captures from the null device unpaced, one block per chunk', async () => {
    const blocks = Math.round((10 * RATE) / FRAMES);
    const run = await runChild(
      { job: 'capture', device: 'default', sampleRate: RATE, framesPerBuffer: FRAMES, blocks },
      { env: setup.env },
    );
    const r = resultOf<CaptureResult>(run);
    assert.deepEqual(r.chunkBytes, [BLOCK_BYTES]);
    assert.equal(r.analysis.capturedFrames, blocks * FRAMES);
    assert.equal(r.close, 'closed');
    console.log(`      first data after ${r.firstDataMs.toFixed(1)} ms; ${r.audioMs} ms of audio in ${r.elapsedMs.toFixed(0)} ms`);
  });
});

describe('audio: naudiodon missing', function () {
  this.timeout(10000);

  it('says which bindings failed and what to install', async () => {
    const run = await runChild(
      { job: 'devices' },
      { preload: path.join(__dirname, 'hide-naudiodon.js'), env: { ...process.env, LOOPSTATION_PORTAUDIO_BINDING: '/nonexistent/naudiodon.node' } },
    );
    assert.ok(!run.reply.ok);
    assert.equal(run.reply.name, 'PortAudioUnavailableError');
    assert.equal(
      run.reply.error,
      "no PortAudio binding loads (naudiodon: Cannot find module 'naudiodon'; own build: not built (/nonexistent/naudiodon.node is missing)); " +
        'to get sound, install PortAudio and build the binding: apt install libportaudio2 portaudio19-dev libasound2-dev, then npx loopstation build-audio',
    );
  });
});
