import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import { parseCommand } from '../../lib/engine/commands';
import { Engine } from '../../lib/engine/engine';
import { engineOptions } from '../../lib/engine/options';
import { OscValue } from '../../lib/osc/codec';
import { OscServer } from '../../lib/osc/server';
import { hostStatus } from '../../lib/io/status';
import { translateEvent } from '../../lib/io/translate';
import { Heard, SESSION, SessionClient, playSession } from './sl-session';

// The differential test: the scripted session of ./sl-session.ts played against ours, compared with
// SooperLooper 1.7.8's recorded answers (test/fixtures/sooperlooper-session.json; regenerate with
// record-sooperlooper.ts). Ours runs the real engine in this process, block by block, on a clock
// the test moves: a wait in the script renders that much audio, so nothing depends on wall time.
//
// Matching masks only timing and URLs: a server URL matches any URL, loop lengths and positions match
// within TIMING_S (the recording ran in real time, with a few ms of network and scheduling per step),
// and an update stream is compared as a sequence over the whole session (an update may come a step
// later on one side). /ping's random instance id matches any integer. Everything else is exact.

const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sooperlooper-session.json');
const SAMPLE_RATE = 48000;
/** SooperLooper ran with JACK periods of 256 frames: the engine renders blocks of the same size. */
const BLOCK = 256;
/** Seconds of slack for values that depend on when a request arrived. */
const TIMING_S = 0.1;
const TIMING_CONTROLS = new Set(['loop_len', 'loop_pos', 'cycle_len']);

/**
 * Where ours differs from SooperLooper, by unit (its name starts with the request, so the list follows
 * the script), and why. A listed unit that starts to match, or that no longer exists, fails the test.
 * `deliberate`: a difference this looper keeps on purpose (docs/osc.md says so); the others are open.
 */
const KNOWN: { unit: string; why: string; deliberate?: true }[] = [
  {
    unit: 'updates a/u_loops #5',
    why: 'a /load_session that fails: SooperLooper 1.7.8 has deleted its loops before it finds no file (loop counts 1, then 0); ours keeps them: a failed load must not lose recorded audio',
    deliberate: true,
  },
  { unit: 'updates a/u_loops #6', why: 'the second of those two loop-count messages', deliberate: true },
];

interface Unit {
  what: string;
  ok: boolean;
  expected: unknown;
  actual: unknown;
}

/** The real engine behind the OSC server, rendered block by block when the session lets time pass. */
class SteppedLooper {
  readonly engine = new Engine(
    engineOptions({ sampleRate: SAMPLE_RATE, blockSize: BLOCK, tracks: 8, loops: 1, bpm: 120, beatsPerBar: 4, quantize: 'off', crossfadeFrames: 0, memoryMiB: 16, metronome: { enabled: false } }),
  );
  readonly server: OscServer;
  quit = false;

  constructor() {
    this.server = new OscServer({
      link: {
        send: (req) => {
          if (req.type !== 'command') return;
          const c = parseCommand(req, this.engine.tracks.length);
          this.engine.command(c.cmd, c.track, this.engine.frame, c.value);
        },
        status: () => Promise.resolve(hostStatus(this.engine, 0)),
        session: (command) => Promise.reject(new Error(`the session cannot be ${command === 'save' ? 'saved' : 'loaded'}`)),
      },
      tracks: 8,
      loops: 1,
      sampleRate: SAMPLE_RATE,
      bpm: 120,
      beatsPerBar: 4,
      blockFrames: BLOCK,
      memoryMiB: 16,
      quit: () => {
        this.quit = true;
        void this.server.stop();
      },
      port: 0,
      now: () => (this.engine.frame * 1000) / SAMPLE_RATE,
    });
  }

  /** The session's time, ms: the engine renders whole blocks up to it. */
  private ms = 0;

  /**
   * Renders ms of silence, feeding the engine's events to the server as a host would; status requests
   * are answered between blocks, as a host's are.
   */
  async render(ms: number): Promise<void> {
    this.ms += ms;
    while (((this.engine.frame + BLOCK / 2) * 1000) / SAMPLE_RATE <= this.ms) {
      this.engine.inputView().fill(0);
      this.engine.process(BLOCK);
      this.engine.events.drain((e) => this.server.hostEvent(translateEvent(this.engine, e)));
      this.server.protocol.tick((this.engine.frame * 1000) / SAMPLE_RATE);
      await Promise.resolve();
    }
  }
}

function sameValue(ctrl: OscValue | undefined, e: OscValue, a: OscValue): boolean {
  if (typeof e === 'string' && typeof a === 'string' && e.startsWith('osc.udp://') && a.startsWith('osc.udp://')) return true;
  if (typeof e === 'number' && typeof a === 'number') {
    if (typeof ctrl === 'string' && TIMING_CONTROLS.has(ctrl)) return Math.abs(e - a) <= TIMING_S;
    return Math.abs(e - a) <= 1e-6 * Math.max(1, Math.abs(e));
  }
  return e === a;
}

function sameMessage(e: Heard, a: Heard): boolean {
  if (e.address !== a.address || e.types !== a.types || e.args.length !== a.args.length) return false;
  return e.args.every((v, i) => (e.types === 'ssii' && i === 3 ? Number.isInteger(a.args[i]) : sameValue(e.args[1], v, a.args[i])));
}

const show = (hs: Heard[]): string => hs.map((h) => `${h.address} ${JSON.stringify(h.args)}`).join(' | ') || '(nothing)';

/** Compares the two sessions: one unit per request step, one per message of an update stream. */
function compare(expected: Heard[], actual: Heard[]): Unit[] {
  const units: Unit[] = [];
  const replies = (hs: Heard[], i: number): Heard[] => hs.filter((h) => h.step === i && (h.address === `/s${i}` || h.address === ''));
  SESSION.forEach((step, i) => {
    if (!step.send) return;
    const e = replies(expected, i);
    const a = replies(actual, i);
    const ok = e.length === a.length && e.every((m, k) => sameMessage(m, a[k]));
    units.push({ what: `step ${i} ${step.send[0]} ${JSON.stringify(step.send[2].filter((x) => x !== '$URL' && x !== '$PATH'))}`, ok, expected: show(e), actual: show(a) });
  });
  const streams = new Set([...expected, ...actual].filter((h) => h.address.startsWith('/u')).map((h) => `${h.client}${h.address}`));
  for (const key of streams) {
    const of = (hs: Heard[]): Heard[] => hs.filter((h) => `${h.client}${h.address}` === key);
    const e = of(expected);
    const a = of(actual);
    // longest common subsequence: each expected update found in order is a match
    const m = Array.from({ length: e.length + 1 }, () => new Array<number>(a.length + 1).fill(0));
    for (let x = e.length - 1; x >= 0; x--) {
      for (let y = a.length - 1; y >= 0; y--) m[x][y] = sameMessage(e[x], a[y]) ? m[x + 1][y + 1] + 1 : Math.max(m[x + 1][y], m[x][y + 1]);
    }
    const matched = m[0][0];
    const total = Math.max(e.length, a.length);
    for (let k = 0; k < total; k++) {
      units.push({ what: `updates ${key} #${k}`, ok: k < matched, expected: show(e), actual: show(a) });
    }
  }
  return units;
}

describe('SooperLooper differential (the recorded session against ours)', function () {
  this.timeout(60000);

  it('answers the scripted session as SooperLooper 1.7.8 did', async () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { steps: number; heard: Heard[] };
    assert.equal(fixture.steps, SESSION.length, 'the fixture was recorded from another script: run record-sooperlooper.js again');
    const looper = new SteppedLooper();
    const port = (await looper.server.start()).port;
    const clients = { a: await new SessionClient('a').open(), b: await new SessionClient('b').open() };
    const sync = await new SessionClient('b').open();
    // A step's answers have all arrived when a ping sent after it is answered: the server handles
    // packets in order, and loopback delivers them in order.
    let pings = 0;
    const settle = async (): Promise<void> => {
      if (looper.quit || !looper.server.address) return;
      const want = ++pings;
      await sync.send(port, '/ping', 'ss', [sync.url, '/sync']);
      const deadline = Date.now() + 2000;
      while (sync.heard.filter((h) => h.address === '/sync').length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setImmediate(r));
    };
    let heard: Heard[];
    try {
      heard = await playSession(port, clients, async (ms) => {
        await settle();
        await looper.render(ms);
        await settle();
      });
    } finally {
      await Promise.all([clients.a.close(), clients.b.close(), sync.close(), looper.server.stop()]);
    }
    const units = compare(fixture.heard, heard);
    const matched = units.filter((u) => u.ok).length;
    const percent = ((100 * matched) / units.length).toFixed(1);
    const failures: string[] = [];
    for (const k of KNOWN) if (!units.some((u) => u.what === k.unit)) failures.push(`KNOWN names ${k.unit}, which the session no longer has`);
    for (const u of units) {
      const k = KNOWN.find((known) => known.unit === u.what);
      if (k && u.ok) failures.push(`${u.what} now matches: take it off KNOWN (${k.why})`);
      else if (!k && !u.ok) failures.push(`${u.what}\n    SooperLooper: ${String(u.expected)}\n    ours:         ${String(u.actual)}`);
    }
    const deliberate = KNOWN.filter((k) => k.deliberate).length;
    process.stdout.write(`      ${matched}/${units.length} units match (${percent}%); known differences: ${deliberate} deliberate, ${KNOWN.length - deliberate} open\n`);
    assert.ok(failures.length === 0, `${failures.length} differences from SooperLooper:\n${failures.join('\n')}`);
  });
});
