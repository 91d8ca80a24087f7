import { Engine } from '../engine/engine';
import { InputError, numberIn } from '../engine/commands';
import { WavAudio, WavError, readWavAsync } from './wav';
import { runInWorker } from './worker';

// Importing a WAV into a live track: any rate (resampled to the engine's), mono or stereo, 8/16/24/32-bit
// integer or 32/64-bit float. The loop is pushed as a new layer, so `undo` takes the import back, and
// it starts at the next quantize boundary (bar, beat, or the master loop's start), in phase with the rest.

/** readWav for untrusted paths: every problem with the file is an InputError on `field`. */
export async function readWavInput(file: unknown, sampleRate: number, field = 'file'): Promise<WavAudio> {
  if (typeof file !== 'string' || file === '') throw new InputError(field, 'must be a path to a WAV file');
  try {
    return await readWavAsync(file, { sampleRate });
  } catch (e) {
    if (e instanceof WavError) throw new InputError(field, e.message);
    throw e;
  }
}

export interface ImportResult {
  track: number;
  frames: number;
  /** the frame at which the loop's position 0 plays */
  anchor: number;
  sourceRate: number;
  sourceChannels: number;
}

/**
 * readWavInput on a worker thread: reading, decoding and resampling a long WAV takes a second or more,
 * which the engine host's thread (it renders the audio) must not spend. The samples are moved back, not
 * copied.
 */
export function readWavInWorker(file: unknown, sampleRate: number, field = 'file'): Promise<WavAudio> {
  return runInWorker<WavAudio>('wav-worker.js', { file, sampleRate, field }).catch((err: Error) => {
    if (err.name !== 'InputError') throw err;
    throw new InputError(field, err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message);
  });
}

/**
 * Reads `file` (on a worker thread) and loads it into `track` of a live engine when it is decoded
 * (between blocks). `playing: false` loads it stopped. An Autosave on the engine saves it like any pass.
 */
export async function importIntoTrack(engine: Engine, trackArg: unknown, file: unknown, playing = true): Promise<ImportResult> {
  const track = numberIn(trackArg, 'track', [1, engine.tracks.length], true);
  const audio = await readWavInWorker(file, engine.sampleRate);
  if (audio.frames < 1) throw new InputError('file', `${String(file)} holds no audio`);
  const anchor = engine.boundary(engine.frame);
  if (!engine.loadLoop(track, audio.data, anchor, playing)) {
    throw new InputError('file', `${String(file)} (${(audio.frames / engine.sampleRate).toFixed(1)} s) does not fit in the engine's free loop memory`);
  }
  return { track, frames: audio.frames, anchor, sourceRate: audio.sourceRate, sourceChannels: audio.sourceChannels };
}
