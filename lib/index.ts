// The package's programmatic API, for scripts that embed the looper without Node-RED.
export { Engine } from './engine/engine';
export type { TrackInfo } from './engine/engine';
export { COMMANDS, QUANTIZE_MODES, TRACK_STATES, DEFAULT_OPTIONS } from './engine/types';
export type { EngineOptions, CommandName, QuantizeMode, TrackState } from './engine/types';
export { parseCommand, InputError } from './engine/commands';
export { engineOptions } from './engine/options';
export { loadScript, parseScript, render, renderFile } from './cli/render';
export { readWav, encodeWav, writeWavAtomic, WavError } from './session/wav';
export { SessionLibrary } from './session/library';
export { defaultClientFactory } from './io/client';
export type { EngineClient } from './io/client';
