import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Engine } from '../engine/engine';
import { InputError, numberIn, parseCommand, ParsedCommand } from '../engine/commands';
import { hasSource } from '../engine/routing';
import { engineOptions, isObject } from '../engine/options';
import { Cmd, EngineOptions } from '../engine/types';
import { PathProblem, checkReplaceable, readRegularFileSync, sizeText } from '../session/safe-file';
import { MAX_WAV_FILE_BYTES, WavError, WavFileWriter, readWav } from '../session/wav';

// `loopstation render <script.json>`: the engine's offline contract (docs/render.md). The same Engine as
// the live host, fed from a WAV instead of a device, in fixed blocks, faster than real time and
// deterministic to the bit. Every problem with the script is an InputError naming the field.

const SCRIPT_FIELDS = [
  'sampleRate', 'blockSize', 'bpm', 'beatsPerBar', 'quantize', 'crossfadeFrames', 'inputLatencyFrames',
  'monitor', 'monitorVolume', 'masterVolume', 'feedback', 'limiter', 'tracks', 'memoryMiB',
  'metronome', 'loops', 'metronomeInMix', 'input', 'durationSeconds', 'events', 'outputs',
  'inputChannels', 'metronomeBus', 'monitorBus', 'monitorInput',
];
const MAX_SECONDS = 3600;
/** The largest script file read. */
const MAX_SCRIPT_BYTES = 4 * 2 ** 20;
/** A metronome sample is a click: a WAV file of at most this (a few seconds of float32 stereo). */
const MAX_CLICK_BYTES = 16 * 2 ** 20;

export interface RenderEvent extends ParsedCommand {
  frame: number;
}

export interface RenderScript {
  options: EngineOptions;
  /** options.inputChannels interleaved at options.sampleRate; empty = silence */
  input: Float32Array;
  frames: number;
  events: RenderEvent[];
  /** bus 1, the main mix */
  mixPath: string;
  /** one WAV per output bus, bus 1 (= mixPath) first */
  busPaths: string[];
  stemsDir: string | null;
  format: 'float32' | 'int16';
}

export interface RenderResult {
  /** bus 1, the main mix */
  mix: Float32Array;
  /** every output bus, interleaved stereo, bus 1 (= mix) first */
  buses: Float32Array[];
  /** one stem per track the script uses */
  stems: { track: number; data: Float32Array }[];
  /** every event the engine emitted, in order */
  log: { type: number; track: number; frame: number; a: number; b: number }[];
}

/** Reads and validates a script file. Relative paths resolve against the script's folder. */
export function loadScript(scriptPath: string): RenderScript {
  let text: string;
  try {
    text = readRegularFileSync(scriptPath, { maxBytes: MAX_SCRIPT_BYTES }).toString('utf8');
  } catch (e) {
    if (e instanceof PathProblem) throw new InputError('script', e.message);
    throw new InputError('script', `cannot read ${scriptPath}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError('script', `${scriptPath} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScript(raw, path.dirname(path.resolve(scriptPath)));
}

export function parseScript(raw: unknown, baseDir: string): RenderScript {
  if (!isObject(raw)) throw new InputError('script', 'must be a JSON object with "durationSeconds", "events" and "outputs"');
  for (const k of Object.keys(raw)) {
    if (!SCRIPT_FIELDS.includes(k)) throw new InputError(k, `unknown field; accepted: ${SCRIPT_FIELDS.join(', ')}`);
  }
  // the bus count comes from outputs.buses (checked below), before the options that name a bus
  const busList = isObject(raw.outputs) && Array.isArray(raw.outputs.buses) ? raw.outputs.buses : [];
  const options = engineOptions({ ...raw, outputBuses: Math.max(1, Math.min(busList.length, 16)) });
  options.stems = false;
  if (raw.metronomeInMix !== undefined) {
    if (typeof raw.metronomeInMix !== 'boolean') throw new InputError('metronomeInMix', 'must be true or false');
    options.metronomeInOutput = raw.metronomeInMix;
  } else options.metronomeInOutput = true;
  const resolve = (p: string) => path.resolve(baseDir, p);
  const wav = (field: string, p: unknown, maxBytes?: number, channels?: number): Float32Array => {
    if (typeof p !== 'string' || p === '') throw new InputError(field, 'must be a path to a WAV file');
    try {
      return readWav(resolve(p), { sampleRate: options.sampleRate, maxBytes, channels }).data;
    } catch (e) {
      if (e instanceof WavError) throw new InputError(field, e.message);
      throw e;
    }
  };

  if (isObject(raw.metronome) && raw.metronome.sound !== undefined && raw.metronome.sound !== 'builtin') {
    options.metronome.sample = wav('metronome.sound', raw.metronome.sound, MAX_CLICK_BYTES);
  }

  if (raw.durationSeconds === undefined) throw new InputError('durationSeconds', `missing; accepted: seconds from 0 to ${MAX_SECONDS}`);
  const seconds = numberIn(raw.durationSeconds, 'durationSeconds', [0, MAX_SECONDS]);
  const frames = Math.round(seconds * options.sampleRate);
  if (frames < 1) throw new InputError('durationSeconds', `${seconds} is shorter than one frame`);
  const format = isObject(raw.outputs) && raw.outputs.format === 'int16' ? 'int16' : 'float32';
  // checked before anything is read or rendered: a WAV's sizes are 32-bit fields
  const bytesPerFrame = format === 'int16' ? 4 : 8;
  if (44 + frames * bytesPerFrame > MAX_WAV_FILE_BYTES) {
    const longest = Math.floor((MAX_WAV_FILE_BYTES - 44) / bytesPerFrame / options.sampleRate);
    throw new InputError('durationSeconds', `${seconds} s at sampleRate ${options.sampleRate} makes a ${sizeText(frames * bytesPerFrame)} ${format} WAV, larger than a WAV file can be (4 GiB); accepted: up to ${longest} s at this sampleRate${format === 'float32' ? ', or "format": "int16"' : ''}`);
  }
  // a stereo input also takes a mono file (on both sides); any other count takes exactly that many channels
  const inputChannels = options.inputChannels === 2 ? undefined : options.inputChannels;
  const input = raw.input === undefined ? new Float32Array(0) : wav('input', raw.input, undefined, inputChannels);

  if (!Array.isArray(raw.events)) throw new InputError('events', 'missing or not an array; accepted: [{"at": seconds, "track": 1, "command": "record"}, ...]');
  const events = raw.events.map((e: unknown, i: number) => parseEvent(e, i, options, frames));
  // stable sort: events at the same frame keep their script order
  events.sort((a, b) => a.frame - b.frame);

  if (!isObject(raw.outputs)) throw new InputError('outputs', 'missing; accepted: {"mix": "out.wav", "stems": "stems/", "format": "float32"}');
  const out = raw.outputs;
  for (const k of Object.keys(out)) {
    if (!['mix', 'buses', 'stems', 'format'].includes(k)) throw new InputError(`outputs.${k}`, 'unknown field; accepted: mix, buses, stems, format');
  }
  if (out.buses !== undefined) {
    if (out.mix !== undefined) throw new InputError('outputs.mix', 'give "mix" or "buses", not both (bus 1 is the main mix)');
    if (!Array.isArray(out.buses) || out.buses.length < 1 || out.buses.length > 16) {
      throw new InputError('outputs.buses', 'accepted: an array of 1 to 16 WAV paths, one per stereo output bus, bus 1 (the main mix) first');
    }
    out.buses.forEach((b, i) => {
      if (typeof b !== 'string' || b === '') throw new InputError(`outputs.buses[${i}]`, 'must be a path for the WAV of that bus');
    });
  } else if (typeof out.mix !== 'string' || out.mix === '') throw new InputError('outputs.mix', 'missing; accepted: a path for the mixed WAV, or "buses": [paths]');
  if (out.stems !== undefined && (typeof out.stems !== 'string' || out.stems === '')) {
    throw new InputError('outputs.stems', 'must be a folder path for one WAV per track');
  }
  if (out.format !== undefined && out.format !== 'float32' && out.format !== 'int16') throw new InputError('outputs.format', `${JSON.stringify(out.format)}; accepted: float32, int16`);
  const busPaths = (out.buses === undefined ? [out.mix as string] : (out.buses as string[])).map(resolve);
  const busField = (i: number) => (out.buses === undefined ? 'outputs.mix' : `outputs.buses[${i}]`);
  if (new Set(busPaths).size !== busPaths.length) throw new InputError('outputs.buses', 'two buses name the same file');
  busPaths.forEach((p, i) => {
    if (!isDirectory(path.dirname(p))) throw new InputError(busField(i), `the folder ${path.dirname(p)} does not exist`);
    replaceable(busField(i), p);
  });
  const mixPath = busPaths[0];
  const stemsDir = typeof out.stems === 'string' ? resolve(out.stems) : null;
  if (stemsDir !== null && fs.existsSync(stemsDir) && !isDirectory(stemsDir)) {
    throw new InputError('outputs.stems', `${stemsDir} exists and is not a folder`);
  }
  options.stems = stemsDir !== null;
  const script: RenderScript = { options, input, frames, events, mixPath, busPaths, stemsDir, format };
  for (const track of stemTracks(script)) replaceable('outputs.stems', stemFile(script, track));
  return script;
}

/** A write to `file` may only replace a regular file: never a device, a pipe, a folder or a link. */
function replaceable(field: string, file: string): void {
  try {
    checkReplaceable(file);
  } catch (e) {
    if (e instanceof PathProblem) throw new InputError(field, e.message);
    throw e;
  }
}

/** The tracks a script's stems are written for: those its events use. */
function stemTracks(s: RenderScript): number[] {
  return s.stemsDir === null ? [] : [...new Set(s.events.filter((e) => e.track > 0).map((e) => e.track))].sort((a, b) => a - b);
}

function stemFile(s: RenderScript, track: number): string {
  return path.join(s.stemsDir as string, `track${track}.wav`);
}

const isDirectory = (p: string): boolean => fs.existsSync(p) && fs.statSync(p).isDirectory();

function parseEvent(e: unknown, i: number, o: EngineOptions, frames: number): RenderEvent {
  const prefix = `events[${i}].`;
  if (!isObject(e)) throw new InputError(`events[${i}]`, 'must be an object like {"at": 1.5, "track": 1, "command": "record"}');
  for (const k of Object.keys(e)) {
    if (!['at', 'frame', 'track', 'command', 'value'].includes(k)) {
      throw new InputError(`${prefix}${k}`, 'unknown field; accepted: at, frame, track, command, value');
    }
  }
  if ((e.at === undefined) === (e.frame === undefined)) throw new InputError(`${prefix}at`, 'give exactly one of "at" (seconds) or "frame"');
  const frame = e.frame !== undefined
    ? numberIn(e.frame, `${prefix}frame`, [0, frames], true)
    : Math.round(numberIn(e.at, `${prefix}at`, [0, frames / o.sampleRate]) * o.sampleRate);
  const command = parseCommand(e, o.tracks, prefix);
  // routing values the engine would refuse at run time (its channel counts), refused here naming the field
  if ((command.cmd === Cmd.Input || command.cmd === Cmd.MonitorInput) && !hasSource(command.value, o.inputChannels)) {
    throw new InputError(`${prefix}value`, `${JSON.stringify(e.value)} is not a source of this script's ${o.inputChannels} input channel(s) (inputChannels)`);
  }
  const busCmd = command.cmd === Cmd.CueBus || command.cmd === Cmd.MetronomeBus || command.cmd === Cmd.MonitorBus;
  if (busCmd && command.value > o.outputBuses) {
    throw new InputError(`${prefix}value`, `bus ${command.value}: this script has ${o.outputBuses} output bus(es) (outputs.buses)`);
  }
  return { ...command, frame };
}

/** What a render hands out after each block: views valid until the next block. */
type BlockSink = (at: number, n: number, bus: (bus: number) => Float32Array, stem: (track: number) => Float32Array) => void;

/** Runs the script through the engine block by block; `sink` receives each block's output. Returns the event log. */
function renderBlocks(s: RenderScript, sink: BlockSink): RenderResult['log'] {
  const engine = new Engine(s.options);
  const block = s.options.maxBlockFrames;
  const log: RenderResult['log'] = [];
  const input = engine.inputView();
  const channels = s.options.inputChannels;
  const stem = (track: number) => engine.stemView(track);
  let next = 0;
  for (let at = 0; at < s.frames; at += block) {
    const n = Math.min(block, s.frames - at);
    const end = at + n;
    while (next < s.events.length && s.events[next].frame < end) {
      const ev = s.events[next++];
      engine.command(ev.cmd, ev.track, ev.frame, ev.value);
    }
    input.fill(0, 0, n * channels);
    if (at * channels < s.input.length) input.set(s.input.subarray(at * channels, Math.min(end * channels, s.input.length)));
    engine.process(n);
    sink(at, n, (bus) => engine.busView(bus).subarray(0, n * 2), stem);
    engine.events.drain((e) => log.push({ ...e }));
  }
  return log;
}

/**
 * Runs the script through the engine into memory (the caller writes the files; renderFile streams them
 * instead). Refuses, before it starts, a render whose output would not fit in half the machine's memory.
 */
export function render(s: RenderScript, memoryBytes = os.totalmem()): RenderResult {
  const used = stemTracks(s);
  const buses = s.options.outputBuses;
  const bytes = s.frames * 8 * (buses + used.length);
  if (bytes > memoryBytes / 2) {
    throw new InputError('durationSeconds', `${s.frames / s.options.sampleRate} s at sampleRate ${s.options.sampleRate} (${buses} bus(es) and ${used.length} stems) needs ${sizeText(bytes)} in memory, more than half of this machine's ${sizeText(memoryBytes)}; accepted: a shorter render, or a lower sampleRate (a render to files streams them and needs no such memory)`);
  }
  const busData = Array.from({ length: buses }, () => new Float32Array(s.frames * 2));
  const stems = used.map((track) => ({ track, data: new Float32Array(s.frames * 2) }));
  const log = renderBlocks(s, (at, n, bus, stem) => {
    busData.forEach((data, b) => data.set(bus(b + 1), at * 2));
    for (const st of stems) st.data.set(stem(st.track).subarray(0, n * 2), at * 2);
  });
  return { mix: busData[0], buses: busData, stems, log };
}

/**
 * Renders a script file and writes its outputs block by block (constant memory, whatever the length);
 * each WAV is complete or not there at all (temp file, then rename).
 */
export async function renderFile(scriptPath: string): Promise<{ script: RenderScript; stems: string[]; log: RenderResult['log'] }> {
  const script = loadScript(scriptPath);
  const rate = script.options.sampleRate;
  const tracks = stemTracks(script);
  if (script.stemsDir !== null) fs.mkdirSync(script.stemsDir, { recursive: true });
  const writers: WavFileWriter[] = [];
  try {
    const buses = script.busPaths.map((p) => new WavFileWriter(p, script.frames, rate, script.format));
    writers.push(...buses);
    const stems = tracks.map((track) => new WavFileWriter(stemFile(script, track), script.frames, rate, script.format));
    writers.push(...stems);
    const log = renderBlocks(script, (_at, n, bus, stem) => {
      for (let b = 0; b < buses.length; b++) buses[b].write(bus(b + 1));
      for (let i = 0; i < tracks.length; i++) stems[i].write(stem(tracks[i]).subarray(0, n * 2));
    });
    for (const w of writers) w.commit();
    return { script, stems: stems.map((w) => w.file), log };
  } catch (err) {
    for (const w of writers) w.abort();
    throw err;
  }
}
