import { InputError, numberIn } from '../engine/commands';
import { OptionTypes, ParsedArgs, parseCliArgs, stringOption } from './args';
import { COMMANDS, CommandName, DEFAULT_OPTIONS, LIMITS, QUANTIZE_MODES, QuantizeMode, TrackState } from '../engine/types';
import type { ReadyEvent } from '../io/client';
import { ForkedClient } from '../io/forked-client';
import type { BackendName, CalibrationResult, HostConfig, HostEvent } from '../io/protocol';

// `loopstation live`: the seed's looper in a terminal, for people without Node-RED. Type the bpm (or
// pass --bpm), then play with single keys; one status line shows every track, the beat and the levels.
// The engine runs in the same forked host as under Node-RED. Keys also come from a stdin that is not a
// terminal (a pipe, a test), one character each; there the first line is the bpm unless --bpm is given.

export const LIVE_USAGE = `usage: loopstation live [options]

  --backend auto|portaudio|null   audio backend (default auto: PortAudio if it loads and has devices)
  --device NAME                   input and output device (name or id, see loopstation devices)
  --input NAME, --output NAME     input / output device separately
  --bpm N                         tempo (otherwise typed at start)
  --beats N                       beats per bar (default 4)
  --quantize off|beat|bar|loop    where record/play/overdub/stop take effect (default bar)
  --tracks N                      tracks (default 8; keys reach 1-9)
  --rate N, --block N             sample rate (48000) and block size in frames (256)
  --latency N                     input latency in frames, if known (skips the calibration click)
  --no-calibrate                  do not measure the latency with a click at start
  --no-metronome                  start with the metronome off
  --realtime N                    run the engine under SCHED_FIFO priority N (1-99) if allowed: fewer dropouts on a busy machine

keys: 1-9 select a track and toggle it (record > play > overdub > play), r record, p play,
      o overdub, s stop, u undo, y redo, c clear (on the selected track), m metronome on/off,
      + / - bpm, l calibrate latency, h help, q or Ctrl-C quit
`;

export interface LiveOptions {
  backend: BackendName | 'auto';
  inputDevice: string;
  outputDevice: string;
  bpm: number | undefined;
  beatsPerBar: number;
  quantize: QuantizeMode;
  tracks: number;
  sampleRate: number;
  blockFrames: number;
  inputLatencyFrames: number | undefined;
  calibrate: boolean;
  metronome: boolean;
  realtimePriority: number | undefined;
}

/** The options of loopstation live (loopstation osc takes them too). */
export const LIVE_OPTIONS: OptionTypes = {
  backend: { type: 'string' },
  device: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  bpm: { type: 'string' },
  beats: { type: 'string' },
  quantize: { type: 'string' },
  tracks: { type: 'string' },
  rate: { type: 'string' },
  block: { type: 'string' },
  latency: { type: 'string' },
  'no-calibrate': { type: 'boolean' },
  'no-metronome': { type: 'boolean' },
  realtime: { type: 'string' },
};

/** Parses the options; a wrong one is an InputError naming it and what is accepted. */
export function parseLiveArgs(args: string[]): LiveOptions {
  return liveOptionsOf(parseCliArgs(args, LIVE_OPTIONS).values);
}

/** The live options among parsed values (of LIVE_OPTIONS, and maybe more). */
export function liveOptionsOf(values: ParsedArgs['values']): LiveOptions {
  const o: LiveOptions = {
    backend: 'auto',
    inputDevice: '',
    outputDevice: '',
    bpm: undefined,
    beatsPerBar: DEFAULT_OPTIONS.beatsPerBar,
    quantize: DEFAULT_OPTIONS.quantize,
    tracks: 8,
    sampleRate: 48000,
    blockFrames: 256,
    inputLatencyFrames: undefined,
    calibrate: true,
    metronome: true,
    realtimePriority: undefined,
  };
  const text = (name: string) => stringOption(values, name);
  const number = (name: string, range: readonly [number, number], integer = false): number | undefined => {
    const v = text(name);
    return v === undefined ? undefined : numberIn(v, `--${name}`, range, integer);
  };
  const backend = text('backend');
  if (backend !== undefined) {
    if (backend !== 'auto' && backend !== 'portaudio' && backend !== 'null') throw new InputError('--backend', `${JSON.stringify(backend)} is not a backend; accepted: auto, portaudio, null`);
    o.backend = backend;
  }
  // --device names both; --input and --output name one each (after it, whatever their order)
  o.inputDevice = text('input') ?? text('device') ?? o.inputDevice;
  o.outputDevice = text('output') ?? text('device') ?? o.outputDevice;
  o.bpm = number('bpm', LIMITS.bpm);
  o.beatsPerBar = number('beats', LIMITS.beatsPerBar, true) ?? o.beatsPerBar;
  const quantize = text('quantize');
  if (quantize !== undefined) {
    if (!(QUANTIZE_MODES as readonly string[]).includes(quantize)) throw new InputError('--quantize', `${JSON.stringify(quantize)} is not a quantize mode; accepted: ${QUANTIZE_MODES.join(', ')}`);
    o.quantize = quantize as QuantizeMode;
  }
  o.tracks = number('tracks', LIMITS.tracks, true) ?? o.tracks;
  o.sampleRate = number('rate', LIMITS.sampleRate, true) ?? o.sampleRate;
  o.blockFrames = number('block', LIMITS.maxBlockFrames, true) ?? o.blockFrames;
  o.inputLatencyFrames = number('latency', LIMITS.inputLatencyFrames, true);
  o.calibrate = values['no-calibrate'] !== true;
  o.metronome = values['no-metronome'] !== true;
  o.realtimePriority = number('realtime', [1, 99], true);
  return o;
}

export function liveHostConfig(o: LiveOptions, bpm: number): HostConfig {
  return {
    sampleRate: o.sampleRate,
    blockFrames: o.blockFrames,
    tracks: o.tracks,
    bpm,
    beatsPerBar: o.beatsPerBar,
    quantize: o.quantize,
    crossfadeFrames: DEFAULT_OPTIONS.crossfadeFrames,
    inputLatencyFrames: o.inputLatencyFrames ?? 0,
    backend: o.backend,
    inputDevice: o.inputDevice,
    outputDevice: o.outputDevice,
    sessionDir: '',
    metronome: { enabled: o.metronome, volume: DEFAULT_OPTIONS.metronome.volume, countInBars: 0, sound: 'builtin' },
    memoryMiB: DEFAULT_OPTIONS.memoryMiB,
    calibrateOnStart: o.calibrate && o.inputLatencyFrames === undefined,
  };
}

/** What the status line shows, updated from the host's events. */
export class LiveView {
  readonly states: TrackState[];
  readonly pending: (TrackState | undefined)[];
  selected = 1;
  beat = -1;
  beatInBar = 0;
  bar = 0;
  bpm: number;
  beatsPerBar: number;
  metronome: boolean;
  xruns = 0;
  levels = { input: [0, 0] as [number, number], output: [0, 0] as [number, number] };

  constructor(tracks: number, bpm: number, beatsPerBar: number, metronome: boolean) {
    this.states = Array.from({ length: tracks }, () => 'empty' as TrackState);
    this.pending = Array.from({ length: tracks }, () => undefined);
    this.bpm = bpm;
    this.beatsPerBar = beatsPerBar;
    this.metronome = metronome;
  }

  /** Takes an event; returns a line worth printing on its own (a state change, an error), if any. */
  apply(e: HostEvent): string | undefined {
    switch (e.type) {
      case 'state':
        this.states[e.track - 1] = e.state;
        this.pending[e.track - 1] = undefined;
        return `track ${e.track}: ${e.state}${e.frames > 0 ? ` (${e.seconds.toFixed(2)} s, ${e.bars} bars)` : ''}`;
      case 'pending':
        this.pending[e.track - 1] = e.state;
        return undefined;
      case 'beat':
        this.beat = e.beat;
        this.beatInBar = e.beatInBar;
        this.bar = e.bar;
        return undefined;
      case 'tempo':
        this.bpm = e.bpm;
        this.beatsPerBar = e.beatsPerBar;
        return `tempo ${e.bpm} bpm, ${e.beatsPerBar} beats per bar`;
      case 'levels':
        // held until the next redraw: a line drawn between two clicks still shows them
        for (let i = 0; i < 2; i++) {
          this.levels.input[i] = Math.max(this.levels.input[i], e.input[i]);
          this.levels.output[i] = Math.max(this.levels.output[i], e.output[i]);
        }
        return undefined;
      case 'xrun':
        this.xruns = e.count;
        return undefined;
      case 'error':
        return `${e.track > 0 ? `track ${e.track}: ` : ''}${e.message}`;
      default:
        return undefined;
    }
  }

  /** e.g. `>1:P   2:R>P 3:-   | bar 3 beat 2/4 | 120 bpm click on | in [###     ] out [#####   ] | xruns 0`; resets the held levels */
  line(): string {
    const code: Record<TrackState, string> = { empty: '-', recording: 'R', playing: 'P', overdubbing: 'O', stopped: 'S', multiplying: 'X', replacing: 'E', oneshot: '1', substituting: 'U', inserting: 'I' };
    const tracks = this.states
      .map((s, i) => {
        const next = this.pending[i];
        const mark = i + 1 === this.selected ? '>' : ' ';
        return `${mark}${i + 1}:${code[s]}${next ? `>${code[next]}` : '  '}`;
      })
      .join('');
    const beat = this.beat < 0 ? 'bar - beat -' : `bar ${this.bar + 1} beat ${this.beatInBar + 1}/${this.beatsPerBar}`;
    const meter = (pair: [number, number]): string => {
      const peak = Math.max(pair[0], pair[1]);
      const db = peak > 0 ? 20 * Math.log10(peak) : -Infinity;
      const n = Math.max(0, Math.min(8, Math.round((db + 48) / 6)));
      return `[${'#'.repeat(n)}${' '.repeat(8 - n)}]`;
    };
    const text = `${tracks} | ${beat} | ${Math.round(this.bpm * 10) / 10} bpm click ${this.metronome ? 'on' : 'off'} | in ${meter(this.levels.input)} out ${meter(this.levels.output)} | xruns ${this.xruns}`;
    this.levels.input.fill(0);
    this.levels.output.fill(0);
    return text;
  }
}

const KEY_COMMANDS: Record<string, CommandName> = { r: 'record', p: 'play', o: 'overdub', s: 'stop', u: 'undo', y: 'redo', c: 'clear' };
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';

export interface LiveIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/** Runs the looper until q, Ctrl-C or a signal; resolves with the exit code. */
export async function live(args: string[], io: LiveIO = { stdin: process.stdin, stdout: process.stdout }): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(LIVE_USAGE);
    return 0;
  }
  const options = parseLiveArgs(args);
  const tty = io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  const input = new KeyInput(io.stdin);
  const print = (line: string) => io.stdout.write(io.stdout.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
  let bpm = options.bpm;
  if (bpm === undefined) {
    io.stdout.write(`bpm [${DEFAULT_OPTIONS.bpm}]: `);
    const typed = (await input.line())?.trim();
    if (!io.stdout.isTTY) io.stdout.write('\n');
    try {
      bpm = typed ? numberIn(typed, 'bpm', LIMITS.bpm) : DEFAULT_OPTIONS.bpm;
    } catch (err) {
      input.close();
      throw err;
    }
  }
  const config = liveHostConfig(options, bpm);
  const client = new ForkedClient(config, options.realtimePriority === undefined ? {} : { realtimePriority: options.realtimePriority });
  const view = new LiveView(config.tracks, bpm, config.beatsPerBar, config.metronome.enabled);
  let quitting: Promise<number> | undefined;
  let redraw: NodeJS.Timeout | undefined;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const quit = (code: number): Promise<number> => {
    quitting ??= (async () => {
      clearInterval(redraw);
      input.close();
      if (tty) io.stdin.setRawMode(false);
      await client.stop();
      print(code === 0 ? 'bye' : 'stopped');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      finish(code);
      return code;
    })();
    return quitting;
  };
  const onSignal = () => void quit(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  client.on('event', (e: HostEvent) => {
    const line = view.apply(e);
    if (line) print(line);
  });
  print(`starting the engine (${options.backend} backend)...`);
  let ready: ReadyEvent;
  try {
    ready = await client.start();
  } catch (err) {
    print(`could not start: ${(err as Error).message}`);
    return quit(1);
  }
  if (quitting) return quitting;
  // from here on an exit is a crash (a refused start already said why, above)
  client.on('exit', (code: number) => {
    if (quitting) return;
    print(`the engine host exited with code ${code}`);
    void quit(1);
  });
  print(describeReady(ready));
  if (client.realtime === false) print(`note: realtime priority ${options.realtimePriority} is not allowed for this user (root, or an rtprio limit in /etc/security/limits.conf); running at normal priority`);
  else if (client.realtime) print(`realtime: the engine runs under SCHED_FIFO priority ${options.realtimePriority}`);
  print('keys: 1-9 track (toggle), r p o s u y c on the selected track, m metronome, +/- bpm, l calibrate, h help, q quit');

  let requestedBpm = bpm;
  const send = (command: CommandName, value?: unknown) => {
    const track = COMMANDS.indexOf(command) <= COMMANDS.indexOf('unsolo') ? view.selected : 0;
    client.send({ type: 'command', command, track, value });
  };
  const onKey = (key: string): void => {
    if (key === 'q' || key === CTRL_C || key === CTRL_D) {
      void quit(0);
    } else if (key >= '1' && key <= '9') {
      const n = Number(key);
      if (n > config.tracks) return;
      view.selected = n;
      send('toggle');
    } else if (KEY_COMMANDS[key]) {
      send(KEY_COMMANDS[key]);
    } else if (key === 'm') {
      view.metronome = !view.metronome;
      send('metronome', view.metronome);
    } else if (key === '+' || key === '=' || key === '-' || key === '_') {
      // from the last tempo asked for: the engine changes it on the next beat, keys can come faster
      requestedBpm = Math.min(LIMITS.bpm[1], Math.max(LIMITS.bpm[0], Math.round(requestedBpm) + (key === '+' || key === '=' ? 1 : -1)));
      send('bpm', requestedBpm);
    } else if (key === 'l') {
      print('calibrating: clicks on the output, listening on the input...');
      client.request({ type: 'calibrate' }).then(
        (r) => {
          const c = r as CalibrationResult;
          print(`latency ${c.inputLatencyFrames} frames (${((c.inputLatencyFrames * 1000) / config.sampleRate).toFixed(1)} ms), ${c.matched}/${c.clicks} clicks${c.applied ? '' : '; not applied while a track records'}`);
        },
        (err: Error) => print(`calibration failed: ${err.message}`),
      );
    } else if (key === 'h' || key === '?') {
      for (const line of LIVE_USAGE.split('\n').slice(LIVE_USAGE.split('\n').findIndex((l) => l.startsWith('keys')))) if (line) print(line);
    }
  };
  if (tty) io.stdin.setRawMode(true);
  input.onKeys(onKey);
  // a terminal gets the line redrawn in place ~10x/s; a pipe one line per second
  const draw = () => io.stdout.write(io.stdout.isTTY ? `\r\x1b[K${view.line()}` : `${view.line()}\n`);
  redraw = setInterval(draw, io.stdout.isTTY ? 100 : 1000);
  return finished;
}

function describeReady(r: ReadyEvent): string {
  const devices = r.backend === 'portaudio' ? ` ${r.inputDevice} -> ${r.outputDevice}` : ' (no device, no sound)';
  const latency = r.inputLatencyFrames !== undefined && r.backend === 'portaudio' ? `, input latency ${r.inputLatencyFrames} frames` : '';
  return `running: ${r.backend}${devices}, ${r.sampleRate} Hz, ${r.blockFrames} frames${latency}${r.notice ? `\nnote: ${r.notice}` : ''}`;
}

/**
 * stdin as a line (the bpm) and then single keys. One 'data' listener for both, so characters that
 * arrive in the same chunk as the bpm line are keys, not lost. EOF ends neither: q or a signal quits.
 */
class KeyInput {
  private buffered = '';
  private lineWaiter: ((line: string | undefined) => void) | undefined;
  private keyHandler: ((key: string) => void) | undefined;
  private ended = false;

  constructor(private readonly stdin: NodeJS.ReadStream) {
    stdin.setEncoding('utf8');
    stdin.on('data', this.onData);
    stdin.on('end', this.onEnd);
    stdin.resume();
  }

  line(): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
      this.onData('');
      if (this.ended) this.onEnd();
    });
  }

  onKeys(handler: (key: string) => void): void {
    this.keyHandler = handler;
    this.onData('');
  }

  /** Done with stdin for good: a pipe left open would keep the process alive after quitting. */
  close(): void {
    this.stdin.off('data', this.onData);
    this.stdin.off('end', this.onEnd);
    this.stdin.destroy();
  }

  private readonly onData = (chunk: string): void => {
    this.buffered += chunk;
    if (this.lineWaiter) {
      const nl = this.buffered.search(/[\r\n]/);
      if (nl < 0) return;
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1).replace(/^\n/, '');
      const waiter = this.lineWaiter;
      this.lineWaiter = undefined;
      waiter(line);
    }
    if (this.keyHandler) {
      const keys = this.buffered;
      this.buffered = '';
      for (const key of keys) if (key !== '\n' && key !== '\r') this.keyHandler(key);
    }
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.lineWaiter) {
      const waiter = this.lineWaiter;
      this.lineWaiter = undefined;
      const rest = this.buffered;
      this.buffered = '';
      waiter(rest.length > 0 ? rest : undefined);
    }
  };
}
