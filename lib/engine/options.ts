import { InputError, booleanOf, numberIn, sourceOf } from './commands';
import { DEFAULT_OPTIONS, EngineOptions, LIMITS, QUANTIZE_MODES, QuantizeMode } from './types';

// Engine options from untrusted settings (a render script, a config node, the terminal), checked field
// by field. Metronome samples are files: the caller reads them and passes the decoded audio.

type Raw = Record<string, unknown>;

export function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Builds engine options from `raw`; every field is optional. `prefix` goes before field names in errors. */
export function engineOptions(raw: Raw, prefix = '', base: EngineOptions = DEFAULT_OPTIONS): EngineOptions {
  const o: EngineOptions = { ...base, metronome: { ...base.metronome } };
  const field = (k: string) => `${prefix}${k}`;
  const num = (k: string, limits: readonly [number, number], integer = false): number | undefined =>
    raw[k] === undefined ? undefined : numberIn(raw[k], field(k), limits, integer);

  o.sampleRate = num('sampleRate', LIMITS.sampleRate, true) ?? o.sampleRate;
  o.maxBlockFrames = num('blockSize', LIMITS.maxBlockFrames, true) ?? o.maxBlockFrames;
  o.tracks = num('tracks', LIMITS.tracks, true) ?? o.tracks;
  o.bpm = num('bpm', LIMITS.bpm) ?? o.bpm;
  o.beatsPerBar = num('beatsPerBar', LIMITS.beatsPerBar, true) ?? o.beatsPerBar;
  o.crossfadeFrames = num('crossfadeFrames', LIMITS.crossfadeFrames, true) ?? o.crossfadeFrames;
  o.inputLatencyFrames = num('inputLatencyFrames', LIMITS.inputLatencyFrames, true) ?? o.inputLatencyFrames;
  o.feedback = num('feedback', LIMITS.feedback) ?? o.feedback;
  o.monitorVolume = num('monitorVolume', LIMITS.volume) ?? o.monitorVolume;
  o.masterVolume = num('masterVolume', LIMITS.volume) ?? o.masterVolume;
  o.inputGain = num('inputGain', LIMITS.volume) ?? o.inputGain;
  o.memoryMiB = num('memoryMiB', LIMITS.memoryMiB, true) ?? o.memoryMiB;
  o.loops = num('loops', [0, o.tracks], true) ?? o.loops;
  o.inputChannels = num('inputChannels', LIMITS.inputChannels, true) ?? o.inputChannels;
  o.outputBuses = num('outputBuses', LIMITS.outputBuses, true) ?? o.outputBuses;
  o.metronomeBus = num('metronomeBus', [1, o.outputBuses], true) ?? Math.min(o.metronomeBus, o.outputBuses);
  o.monitorBus = num('monitorBus', [1, o.outputBuses], true) ?? Math.min(o.monitorBus, o.outputBuses);
  if (raw.monitorInput !== undefined) o.monitorInput = sourceOf(raw.monitorInput, field('monitorInput'), o.inputChannels);
  if (raw.monitor !== undefined) o.monitor = booleanOf(raw.monitor, field('monitor'));
  if (raw.quantize !== undefined) {
    if (!(QUANTIZE_MODES as readonly unknown[]).includes(raw.quantize)) {
      throw new InputError(field('quantize'), `${JSON.stringify(raw.quantize)} is not a quantize mode; accepted: ${QUANTIZE_MODES.join(', ')}`);
    }
    o.quantize = raw.quantize as QuantizeMode;
  }
  if (raw.limiter !== undefined) {
    if (raw.limiter !== 'clamp' && raw.limiter !== 'soft') {
      throw new InputError(field('limiter'), `${JSON.stringify(raw.limiter)} is not a limiter; accepted: clamp, soft`);
    }
    o.limiter = raw.limiter;
  }
  if (raw.metronome !== undefined) {
    const m = raw.metronome;
    if (!isObject(m)) throw new InputError(field('metronome'), 'must be an object like {"enabled": true, "volume": 0.5, "sound": "builtin"}');
    const mf = (k: string) => field(`metronome.${k}`);
    if (m.enabled !== undefined) o.metronome.enabled = booleanOf(m.enabled, mf('enabled'));
    if (m.volume !== undefined) o.metronome.volume = numberIn(m.volume, mf('volume'), LIMITS.volume);
    if (m.countInBars !== undefined) o.metronome.countInBars = numberIn(m.countInBars, mf('countInBars'), LIMITS.countInBars, true);
  }
  if (o.crossfadeFrames > o.sampleRate) {
    throw new InputError(field('crossfadeFrames'), `${o.crossfadeFrames} is longer than a second at ${o.sampleRate} Hz`);
  }
  return o;
}
