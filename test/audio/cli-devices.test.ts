// `loopstation devices` and the device checks of `loopstation live`, on the ALSA null devices (no card,
// no daemon: see harness.ts): what a user sees, and that a device that is not there is an error that
// lists the ones that are, never a quiet fallback to the default.

import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import path from 'path';
import { LiveRun } from '../io/live-cli';
import { AlsaNullSetup, requireAudio, runChild } from './harness';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'loopstation.js');

function loopstation(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30000 });
}

describe('cli: loopstation devices (ALSA null devices)', function () {
  this.timeout(40000);
  let setup: AlsaNullSetup;

  before(async function () {
    setup = new AlsaNullSetup(256);
    const run = await runChild({ job: 'devices' }, { env: setup.env });
    requireAudio(this, run.reply.ok ? undefined : `${run.reply.name}: ${run.reply.error}`);
  });
  after(() => setup?.dispose());

  it('lists name, host API, channels, default rate and the defaults, with nothing of ALSA or naudiodon on stdout', () => {
    const r = loopstation(['devices'], setup.env);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^id +name +host API +in\/out +rate +default$/);
    assert.ok(lines.some((l) => /^\d+ +default +ALSA +128\/128 +\d+ +input\+output$/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^\d+ +loopfile +ALSA +\d+\/\d+ +\d+$/.test(l)), r.stdout);
    assert.equal(lines.at(-2), 'select one by name (stable across reboots) with --input/--output, or in the engine config node');
  });

  it('prints JSON with --json, and only JSON', () => {
    const r = loopstation(['devices', '--json'], setup.env);
    assert.equal(r.status, 0, r.stderr);
    const devices = JSON.parse(r.stdout) as { name: string; hostAPI: string; maxInputChannels: number; defaultSampleRate: number; isDefaultOutput: boolean }[];
    assert.deepEqual(devices.map((d) => d.name).sort(), ['default', 'loopfile']);
    const def = devices.find((d) => d.name === 'default')!;
    assert.equal(def.hostAPI, 'ALSA');
    assert.equal(def.isDefaultOutput, true);
    assert.ok(def.defaultSampleRate > 0);
  });

  it('refuses an unknown option', () => {
    const r = loopstation(['devices', '--all'], setup.env);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'loopstation devices: --all: unknown option; accepted: --json\n');
  });

  it('says what to install when no PortAudio binding loads', () => {
    const env = { ...setup.env, NODE_OPTIONS: `--require ${path.join(__dirname, 'hide-naudiodon.js')}`, LOOPSTATION_PORTAUDIO_BINDING: '/nonexistent/naudiodon.node' };
    const r = loopstation(['devices'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^loopstation devices: no PortAudio binding loads \(naudiodon: Cannot find module 'naudiodon'; .*then npx loopstation build-audio\n$/);
  });

  it('live: a device that is not there stops the start, naming the devices there are', async () => {
    const r = new LiveRun(['--backend', 'auto', '--device', 'Scarlett 2i2', '--bpm', '120'], setup.env);
    try {
      assert.equal(await r.exited, 1);
      const text = r.lines.join('\n');
      assert.match(text, /^starting the engine \(auto backend\)\.\.\.\ncould not start: no input device with 2 channels named "Scarlett 2i2"; available: \d+ "[a-z]+" \(ALSA, 128 in\/128 out\), \d+ "[a-z]+" \(ALSA, 128 in\/128 out\)\nstopped$/);
      assert.match(text, /"default"/);
      assert.match(text, /"loopfile"/);
    } finally {
      r.kill();
    }
  });
});
