// `loopstation live` on the null backend, driven like a user would drive it, through a pipe: the bpm
// typed at the prompt, then single keys. The same on the PulseAudio sink is in test/audio/host-pulse.test.ts.

import { strict as assert } from 'assert';
import path from 'path';
import { gone } from './harness';
import { LiveRun } from './live-cli';

describe('cli: loopstation live (null backend)', function () {
  this.timeout(40000);
  const runs: LiveRun[] = [];
  const live = (args: string[], env?: NodeJS.ProcessEnv) => {
    const r = new LiveRun(args, env);
    runs.push(r);
    return r;
  };
  afterEach(() => runs.splice(0).forEach((r) => r.kill()));

  it('asks for the bpm, then records, plays, overdubs, stops, clears, toggles the click and the tempo from keys, and quits with q', async () => {
    const r = live(['--backend', 'null', '--quantize', 'off']);
    r.type('100\n');
    // the prompt has no newline of its own: from a pipe, the answer is not echoed, so one follows it
    await r.waitFor(/^bpm \[120\]: $/, 15000, true);
    await r.waitFor(/^running: null \(no device, no sound\), 48000 Hz, 256 frames$/, 15000, true);
    r.type('1');
    await r.waitFor(/^track 1: recording$/);
    r.type('1');
    assert.match(await r.waitFor(/^track 1: playing/), /^track 1: playing \(\d+\.\d\d s, \d+(\.\d+)? bars\)$/);
    r.type('2');
    await r.waitFor(/^track 2: recording$/);
    r.type('p');
    await r.waitFor(/^track 2: playing/);
    r.type('o');
    await r.waitFor(/^track 2: overdubbing/);
    r.type('s');
    await r.waitFor(/^track 2: stopped/);
    r.type('c');
    await r.waitFor(/^track 2: empty$/);
    r.type('u');
    assert.equal(await r.waitFor(/^track 2: /), 'track 2: undo: nothing to undo');
    r.type('m++');
    await r.waitFor(/^tempo 102 bpm, 4 beats per bar$/);
    const status = await r.waitFor(/click off/);
    assert.match(status, /^ 1:P {2}>2:[-PS] {3}3:- {3}4:- {3}5:- {3}6:- {3}7:- {3}8:- {3}\| bar \d+ beat [1-4]\/4 \| 102 bpm click off \| in \[ {8}\] out \[[# ]{8}\] \| xruns \d+$/);
    r.type('q');
    await r.waitFor(/^bye$/);
    assert.equal(await r.exited, 0);
  });

  it('takes --bpm, skips the prompt, and leaves cleanly on SIGINT (Ctrl-C outside raw mode)', async () => {
    const r = live(['--backend', 'null', '--bpm', '90', '--tracks', '3']);
    await r.waitFor(/^running: null/, 15000, true);
    assert.ok(!r.lines.some((l) => l.startsWith('bpm [')));
    const line = await r.waitFor(/\| bar /);
    assert.match(line, /^>1:- {3}2:- {3}3:- {3}\| bar \d+ beat \d\/4 \| 90 bpm click on/);
    const host = await hostPid(r.child.pid!);
    r.child.kill('SIGINT');
    await r.waitFor(/^bye$/, 15000, true);
    assert.equal(await r.exited, 0);
    assert.ok(host === undefined || (await gone(host)), 'the engine host outlived the terminal');
  });

  it('accepts Ctrl-C as a key from a pipe too', async () => {
    const r = live(['--backend', 'null', '--bpm', '120']);
    await r.waitFor(/^running: null/, 15000, true);
    r.type('\u0003');
    assert.equal(await r.exited, 0);
  });

  it('refuses a bpm that is not one, naming what is accepted', async () => {
    const r = live(['--backend', 'null']);
    r.type('fast\n');
    assert.equal(await r.exited, 2);
    assert.equal(r.stderr, 'loopstation live: bpm: "fast" is not a number; accepted: a number from 20 to 400\n');
  });

  it('refuses unknown options', async () => {
    const r = live(['--backend', 'jack']);
    assert.equal(await r.exited, 2);
    assert.equal(r.stderr, 'loopstation live: --backend: "jack" is not a backend; accepted: auto, portaudio, null\n');
  });

  it('says what to install when --backend portaudio has no binding', async () => {
    const r = live(['--backend', 'portaudio', '--bpm', '120'], {
      ...process.env,
      NODE_OPTIONS: `--require ${path.join(__dirname, '..', 'audio', 'hide-naudiodon.js')}`,
      LOOPSTATION_PORTAUDIO_BINDING: '/nonexistent/naudiodon.node',
    });
    assert.equal(await r.exited, 1);
    assert.match(r.lines.join('\n'), /could not start: no PortAudio binding loads .*apt install libportaudio2 portaudio19-dev libasound2-dev, then npx loopstation build-audio/);
  });
});

/** The engine host's pid: the child of the CLI process that runs host-main.js. */
async function hostPid(cliPid: number): Promise<number | undefined> {
  const { execFileSync } = await import('child_process');
  try {
    const out = execFileSync('pgrep', ['-P', String(cliPid), '-f', 'host-main.js'], { encoding: 'utf8' });
    return Number(out.trim().split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}
