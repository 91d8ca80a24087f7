import fs from 'fs';
import path from 'path';
import { Looper, startLooper, tempDir } from '../../e2e/harness';
import { QUANTUM, stats, until } from './session-checks';

// Two loopers as users run them: two `npm start`s (scripts/start.js: each its own Node-RED, userDir,
// port and engine host), each with its engine on Link and a flow of Node-RED's own nodes around a
// metronome and a loop recorder. Each flow writes its beat msgs and the recorder's state msgs to a file
// (function → file); an `http in` node takes the record presses. The scenario presses record on each
// looper when the *other* one's click reaches beat 2, twice, a bar apart: two 2-bar loops, each
// started on the other's clock. Where each loop starts, and repeats, is read from the looper's own msgs:
// the session beat its beat msg carries (msg.link.beat) at the loop's first frame.

interface BeatLine {
  kind: 'beat';
  beatInBar: number;
  frame: number;
  link?: { beat: number; tempo: number; peers: number; phaseErrorMs: number };
}

interface StateLine {
  kind: 'state';
  state: string;
  track: number;
  frames: number;
  frame: number;
}

type Line = BeatLine | StateLine;

/** The flow of one looper: engine on Link (null backend), metronome and track 1 logged to `log`, POST /rec presses record. */
function flow(name: string, bpm: number, log: string): Record<string, unknown>[] {
  const id = (n: string): string => `${name}-${n}`;
  const toLine = (fields: string): string => `msg.payload = JSON.stringify(${fields});\nreturn msg;`;
  return [
    { id: id('tab'), type: 'tab', label: `looper ${name}` },
    {
      id: id('engine'), type: 'loopstation-engine', name: `looper ${name}`, backend: 'null', inputDevice: '', outputDevice: '', sampleRate: 48000, blockSize: 256,
      inputLatencyFrames: 0, tracks: 2, bpm, beatsPerBar: QUANTUM, quantize: 'bar', crossfadeFrames: 128, countInBars: 0, clickSound: '', sessionDir: 'none',
      memoryMiB: 16, sync: 'link', linkStartStop: false,
    },
    // the page a player opens; npm start prints its URL once Node-RED listens
    { id: id('panel'), type: 'loopstation-panel', z: id('tab'), name: '', engine: id('engine'), path: 'looper', wires: [[]] },
    { id: id('met'), type: 'loopstation-metronome', z: id('tab'), engine: id('engine'), bpm: '', beatsPerBar: '', volume: '', enabled: '', wires: [[id('beat')]] },
    { id: id('beat'), type: 'function', z: id('tab'), func: toLine("{ kind: 'beat', beatInBar: msg.payload, frame: msg.frame, link: msg.link }"), outputs: 1, wires: [[id('log')]] },
    { id: id('press'), type: 'http in', z: id('tab'), url: '/rec', method: 'post', upload: false, wires: [[id('rec'), id('ok')]] },
    { id: id('ok'), type: 'http response', z: id('tab'), statusCode: '200', headers: {}, wires: [] },
    { id: id('rec'), type: 'loopstation-loop-recorder', z: id('tab'), engine: id('engine'), track: 1, doubleTapMs: 400, holdMs: 1000, pressedLevel: '1', wires: [[id('state')]] },
    { id: id('state'), type: 'function', z: id('tab'), func: toLine("{ kind: 'state', state: msg.payload, track: msg.track, frames: msg.frames, frame: msg.frame }"), outputs: 1, wires: [[id('log')]] },
    { id: id('log'), type: 'file', z: id('tab'), filename: log, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [] },
  ];
}

class RunningLooper {
  readonly lines: Line[] = [];
  private read = 0;
  private partial = '';

  constructor(readonly name: string, readonly looper: Looper, private readonly log: string) {}

  /** Reads what the flow logged since the last call. */
  poll(): void {
    if (!fs.existsSync(this.log)) return;
    const data = fs.readFileSync(this.log);
    const text = this.partial + data.subarray(this.read).toString('utf8');
    this.read = data.length;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) this.lines.push(JSON.parse(p) as Line);
  }

  get beats(): BeatLine[] {
    return this.lines.filter((l): l is BeatLine => l.kind === 'beat');
  }

  get states(): StateLine[] {
    return this.lines.filter((l): l is StateLine => l.kind === 'state' && l.track === 1);
  }

  /** Its last `n` beats within 1 ms of the session's, in a session with the other looper. */
  locked(n = 4): boolean {
    const last = this.beats.slice(-n);
    return last.length === n && last.every((b) => b.link !== undefined && b.link.peers === 1 && Math.abs(b.link.phaseErrorMs) < 1);
  }

  async press(): Promise<void> {
    const res = await fetch(`${this.looper.editorUrl.replace(/\/$/, '')}/rec`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'record' });
    if (res.status !== 200) throw new Error(`looper ${this.name}: POST /rec answered ${res.status}`);
  }

  /** The session beat at engine frame `frame`, from the nearest beat msg (its msg.link.beat, and the tempo between beats). */
  sessionBeatAt(frame: number): number {
    const beats = this.beats.filter((b) => b.link);
    const near = beats.reduce((best, b) => (Math.abs(b.frame - frame) < Math.abs(best.frame - frame) ? b : best), beats[0]);
    const link = near.link as NonNullable<BeatLine['link']>;
    return link.beat + ((frame - near.frame) * link.tempo) / (60 * 48000);
  }
}

export interface TwoNodeReds {
  /** each looper's loop length, frames */
  loopFrames: number[];
  /** the session bar (beat / QUANTUM) at each loop start: record start and two repeats, per looper */
  bars: number[][];
  /** each start against the session's bar line, ms, per looper */
  offBarMs: number[][];
  /** looper A's starts against B's, ms */
  apartMs: number[];
  /** |phase error| of every beat msg once both were locked, ms, per looper */
  beatErrorMs: { median: number; max: number }[];
  peers: number[];
  tempo: number[];
}

/** Presses record on `target` when `clock`'s beat msg for beat `beatInBar` (1 = downbeat) is logged. */
async function onBeatOf(clock: RunningLooper, target: RunningLooper, beatInBar: number): Promise<void> {
  clock.poll();
  const from = clock.beats.length;
  await until(() => {
    clock.poll();
    return clock.beats.slice(from).some((b) => b.beatInBar === beatInBar);
  }, 10000, `looper ${clock.name}'s beat ${beatInBar}`);
  await target.press();
}

export async function twoNodeReds(): Promise<TwoNodeReds> {
  const loopers: RunningLooper[] = [];
  const dirs: string[] = [];
  try {
    for (const [name, bpm] of [['A', 120], ['B', 90]] as const) {
      const dir = tempDir(`link-${name}`);
      dirs.push(dir);
      const log = path.join(dir, 'looper.jsonl');
      fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flow(name, bpm, log)));
      loopers.push(new RunningLooper(name, await startLooper(dir), log));
    }
    const [a, b] = loopers;
    const pollAll = (): void => loopers.forEach((l) => l.poll());
    await until(() => {
      pollAll();
      return a.locked() && b.locked();
    }, 60000, 'both loopers lock onto one Link session');
    const lockedFrom = loopers.map((l) => l.beats.length - 4);
    // beat 2 of a bar on the other's click: each record starts on the next bar line of its own
    await Promise.all([onBeatOf(a, b, 2), onBeatOf(b, a, 2)]);
    // into the next bar, then the same presses again: each loop is 2 bars
    const from = a.beats.length;
    await until(() => {
      pollAll();
      return a.beats.length >= from + 5;
    }, 10000, '5 more beats of looper A');
    await Promise.all([onBeatOf(a, b, 2), onBeatOf(b, a, 2)]);
    await until(() => {
      pollAll();
      return loopers.every((l) => l.states.some((s) => s.state === 'playing'));
    }, 20000, 'both loops play');
    const loops = loopers.map((l) => {
      const rec = l.states.find((s) => s.state === 'recording') as StateLine;
      const play = l.states.find((s) => s.state === 'playing') as StateLine;
      return { start: rec.frame, frames: play.frames };
    });
    // until both have played their loop's second repeat
    await until(() => {
      pollAll();
      return loopers.every((l, i) => (l.beats[l.beats.length - 1]?.frame ?? 0) > loops[i].start + 2 * loops[i].frames);
    }, 20000, 'two repeats of each loop');
    const starts = loopers.map((l, i) => [0, 1, 2].map((k) => l.sessionBeatAt(loops[i].start + k * loops[i].frames)));
    const tempo = loopers.map((l) => l.beats[l.beats.length - 1].link?.tempo ?? 0);
    const ms = (beats: number, i: number): number => Math.round(((beats * 60000) / tempo[i]) * 1000) / 1000;
    return {
      loopFrames: loops.map((l) => l.frames),
      bars: starts.map((s) => s.map((beat) => Math.round(beat / QUANTUM))),
      offBarMs: starts.map((s, i) => s.map((beat) => ms(beat - QUANTUM * Math.round(beat / QUANTUM), i))),
      apartMs: starts[0].map((beat, k) => ms(beat - starts[1][k], 0)),
      beatErrorMs: loopers.map((l, i) => stats(l.beats.slice(lockedFrom[i]).map((x) => Math.abs(x.link?.phaseErrorMs ?? Infinity)))),
      peers: loopers.map((l) => l.beats[l.beats.length - 1].link?.peers ?? 0),
      tempo,
    };
  } finally {
    await Promise.all(loopers.map((l) => l.looper.interrupt()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}
