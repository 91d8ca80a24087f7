// The PortAudio binding `loopstation build-audio` compiles from naudiodon's sources against the
// system's PortAudio (what 64-bit Raspberry Pi OS runs, where the naudiodon package cannot link):
// built here for this machine, then used by the engine host with naudiodon hidden.
// Needs portaudio19-dev (pkg-config portaudio-2.0), a C++ compiler and python3 (.ci/run installs them).

import { strict as assert } from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { ForkedClient } from '../../lib/io/forked-client';
import { testConfig } from '../io/harness';
import { pulseEnv, pulseUnavailableReason, requireAudio, resultOf, runChild } from './harness';
import type { DevicesResult } from './stream-child';

const ROOT = path.join(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'build-portaudio-binding.js');
const BINDING = path.join(ROOT, 'native', 'build', 'Release', 'naudiodon.node');
const HIDE = path.join(__dirname, 'hide-naudiodon.js');

function portAudioDevMissing(): string | undefined {
  try {
    execFileSync('pkg-config', ['--exists', 'portaudio-2.0'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'no PortAudio development files (apt install libportaudio2 portaudio19-dev)';
  }
}

describe('audio: the PortAudio binding built against the system PortAudio', function () {
  this.timeout(240000);

  before(function () {
    requireAudio(this, portAudioDevMissing());
  });

  it('builds with loopstation build-audio and lists devices through it, naudiodon hidden', async function () {
    const build = spawnSync(process.execPath, [SCRIPT, '--stream-path'], { encoding: 'utf8' });
    assert.equal(build.status, 0, `build failed:\n${build.stderr.slice(-2000)}`);
    const seen = /loopstation build-audio: built .*naudiodon\.node: PortAudio sees (\d+) device\(s\)/.exec(build.stderr);
    assert.ok(seen, `no build report on stderr:\n${build.stderr.slice(-2000)}`);
    assert.ok(fs.existsSync(BINDING));
    const run = await runChild({ job: 'devices' }, { preload: HIDE });
    const { devices, segfaultHandlerLoaded } = resultOf<DevicesResult>(run);
    assert.equal(segfaultHandlerLoaded, false);
    assert.equal(devices.length, Number(seen[1]), 'the host lists what the build saw');
    // the binding built and loads; listing devices needs a sound card or a sound server to answer
    requireAudio(this, devices.length > 0 ? undefined : 'PortAudio sees no device: no sound card or sound server answers');
  });

  it('runs the engine host on the PulseAudio sink through it, and says so', async function () {
    requireAudio(this, pulseUnavailableReason());
    if (!fs.existsSync(BINDING)) assert.fail('the binding was not built (see the test before)');
    const client = new ForkedClient(testConfig({ backend: 'portaudio', inputDevice: 'pulse', outputDevice: 'pulse' }), {
      env: { ...pulseEnv(), NODE_OPTIONS: `--require ${HIDE}`, LOOPSTATION_AUDIO_PATH: 'naudiodon' },
    });
    try {
      const ready = await client.start();
      assert.equal(ready.backend, 'portaudio');
      assert.equal(ready.outputDevice, 'pulse');
      assert.match(ready.notice ?? '', /PortAudio runs through naudiodon.s stream path \(the binding built by `loopstation build-audio`\)/);
      const levels = await new Promise<number>((resolve) => {
        client.on('event', (e) => e.type === 'levels' && e.output[0] > 0 && resolve(e.output[0]));
      });
      assert.ok(levels > 0.01, 'the engine rendered no sound through the own binding');
    } finally {
      await client.stop();
    }
  });
});
