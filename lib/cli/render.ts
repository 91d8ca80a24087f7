import * as fs from 'fs';
import * as path from 'path';
import { Engine } from '../engine/engine';
import { InputError, numberIn, parseCommand, ParsedCommand } from '../engine/commands';
import { engineOptions, isObject } from '../engine/options';
import { EngineOptions } from '../engine/types';
import { writeStems } from '../session/export';
import { readWav, writeWavAtomic, WavError } from '../session/wav';

// `loopstation render <script.json>`: the engine's offline contract (DESIGN.md §4). The same Engine as
// the live host, fed from a WAV instead of a device, in fixed blocks, faster than real time and
// deterministic to the bit. Every problem with the script is an InputError naming the field.

const SCRIPT_FIELDS = [
  'sampleRate', 'blockSize', 'bpm', 'beatsPerBar', 'quantize', 'crossfadeFrames', 'inputLatencyFrames',
  'monitor', 'monitorVolume', 'masterVolume', 'feedback', 'limiter', 'tracks', 'memoryMiB',
  'metronome', 'metronomeInMix', 'input', 'durationSeconds', 'events', 'outputs',
];
const MAX_SECONDS = 3600;

export interface RenderEvent extends ParsedCommand {
  frame: number;
}

export interface RenderScript {
  options: EngineOptions;
  /** interleaved stereo at options.sampleRate; empty = silence */
  input: Float32Array;
  frames: number;
  events: RenderEvent[];
  mixPath: string;
  stemsDir: string | null;
  format: 'float32' | 'int16';
}

export interface RenderResult {
  mix: Float32Array;
  /** one stem per track the script uses */
  stems: { track: number; data: Float32Array }[];
  /** every event the engine emitted, in order */
  log: { type: number; track: number; frame: number; a: number; b: number }[];
}

/** Reads and validates a script file. Relative paths resolve against the script's folder. */
export function loadScript(scriptPath: string): RenderScript {
  let text: string;
  try {
    text = fs.readFileSync(scriptPath, 'utf8');
  } catch (e) {
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
  const options = engineOptions(raw);
  options.stems = false;
  if (raw.metronomeInMix !== undefined) {
    if (typeof raw.metronomeInMix !== 'boolean') throw new InputError('metronomeInMix', 'must be true or false');
    options.metronomeInOutput = raw.metronomeInMix;
  } else options.metronomeInOutput = true;
  const resolve = (p: string) => path.resolve(baseDir, p);
  const wav = (field: string, p: unknown): Float32Array => {
    if (typeof p !== 'string' || p === '') throw new InputError(field, 'must be a path to a WAV file');
    try {
      return readWav(resolve(p), { sampleRate: options.sampleRate }).data;
    } catch (e) {
      if (e instanceof WavError) throw new InputError(field, e.message);
      throw e;
    }
  };

  if (isObject(raw.metronome) && raw.metronome.sound !== undefined && raw.metronome.sound !== 'builtin') {
    options.metronome.sample = wav('metronome.sound', raw.metronome.sound);
  }
  const input = raw.input === undefined ? new Float32Array(0) : wav('input', raw.input);

  if (raw.durationSeconds === undefined) throw new InputError('durationSeconds', `missing; accepted: seconds from 0 to ${MAX_SECONDS}`);
  const seconds = numberIn(raw.durationSeconds, 'durationSeconds', [0, MAX_SECONDS]);
  const frames = Math.round(seconds * options.sampleRate);
  if (frames < 1) throw new InputError('durationSeconds', `${seconds} is shorter than one frame`);

  if (!Array.isArray(raw.events)) throw new InputError('events', 'missing or not an array; accepted: [{"at": seconds, "track": 1, "command": "record"}, ...]');
  const events = raw.events.map((e: unknown, i: number) => parseEvent(e, i, options, frames));
  // stable sort: events at the same frame keep their script order
  events.sort((a, b) => a.frame - b.frame);

  if (!isObject(raw.outputs)) throw new InputError('outputs', 'missing; accepted: {"mix": "out.wav", "stems": "stems/", "format": "float32"}');
  const out = raw.outputs;
  for (const k of Object.keys(out)) {
    if (!['mix', 'stems', 'format'].includes(k)) throw new InputError(`outputs.${k}`, 'unknown field; accepted: mix, stems, format');
  }
  if (typeof out.mix !== 'string' || out.mix === '') throw new InputError('outputs.mix', 'missing; accepted: a path for the mixed WAV');
  if (out.stems !== undefined && (typeof out.stems !== 'string' || out.stems === '')) {
    throw new InputError('outputs.stems', 'must be a folder path for one WAV per track');
  }
  const format = out.format ?? 'float32';
  if (format !== 'float32' && format !== 'int16') throw new InputError('outputs.format', `${JSON.stringify(format)}; accepted: float32, int16`);
  const mixPath = resolve(out.mix);
  const stemsDir = typeof out.stems === 'string' ? resolve(out.stems) : null;
  if (!isDirectory(path.dirname(mixPath))) throw new InputError('outputs.mix', `the folder ${path.dirname(mixPath)} does not exist`);
  if (stemsDir !== null && fs.existsSync(stemsDir) && !isDirectory(stemsDir)) {
    throw new InputError('outputs.stems', `${stemsDir} exists and is not a folder`);
  }
  options.stems = stemsDir !== null;
  return { options, input, frames, events, mixPath, stemsDir, format };
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
  return { ...parseCommand(e, o.tracks, prefix), frame };
}

/** Runs the script through the engine; pure apart from reading nothing: the caller writes the files. */
export function render(s: RenderScript): RenderResult {
  const engine = new Engine(s.options);
  const block = s.options.maxBlockFrames;
  const mix = new Float32Array(s.frames * 2);
  const used = [...new Set(s.events.filter((e) => e.track > 0).map((e) => e.track))].sort((a, b) => a - b);
  const stems = s.stemsDir === null ? [] : used.map((track) => ({ track, data: new Float32Array(s.frames * 2) }));
  const log: RenderResult['log'] = [];
  const input = engine.inputView();
  const output = engine.outputView();
  let next = 0;
  for (let at = 0; at < s.frames; at += block) {
    const n = Math.min(block, s.frames - at);
    const end = at + n;
    while (next < s.events.length && s.events[next].frame < end) {
      const ev = s.events[next++];
      engine.command(ev.cmd, ev.track, ev.frame, ev.value);
    }
    input.fill(0, 0, n * 2);
    if (at * 2 < s.input.length) input.set(s.input.subarray(at * 2, Math.min(end * 2, s.input.length)));
    engine.process(n);
    mix.set(output.subarray(0, n * 2), at * 2);
    for (const stem of stems) stem.data.set(engine.stemView(stem.track).subarray(0, n * 2), at * 2);
    engine.events.drain((e) => log.push({ ...e }));
  }
  return { mix, stems, log };
}

/** Renders a script file and writes its outputs (each WAV complete or not at all). */
export async function renderFile(scriptPath: string): Promise<RenderResult & { script: RenderScript }> {
  const script = loadScript(scriptPath);
  const result = render(script);
  await writeWavAtomic(script.mixPath, result.mix, 2, script.options.sampleRate, script.format);
  if (script.stemsDir !== null) await writeStems(script.stemsDir, result.stems, script.options.sampleRate, script.format);
  return { ...result, script };
}
