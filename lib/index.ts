// The package's programmatic API, for scripts that embed the looper without Node-RED.
import type { EngineClientFactory } from './io/client';
import { ForkedClient } from './io/forked-client';
export { Engine } from './engine/engine';
export type { TrackInfo } from './engine/engine';
export { COMMANDS, QUANTIZE_MODES, TRACK_STATES, DEFAULT_OPTIONS } from './engine/types';
export type { EngineOptions, CommandName, QuantizeMode, TrackState } from './engine/types';
export { parseCommand, InputError } from './engine/commands';
export { engineOptions } from './engine/options';
export { loadScript, parseScript, render, renderFile } from './cli/render';
export { readWav, encodeWav, writeWavAtomic, WavError } from './session/wav';
export { SessionLibrary } from './session/library';
export type { EngineClient, EngineClientFactory } from './io/client';
export { ForkedClient } from './io/forked-client';

/** The client for a config: the engine host in a forked child process (lib/io/forked-client.ts), every backend. */
export const defaultClientFactory: EngineClientFactory = (config) => new ForkedClient(config);
