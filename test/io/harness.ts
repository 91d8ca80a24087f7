// Shared by the engine host tests: a small config, waiting for events, and checking that a process is gone.

import { EventEmitter } from 'events';
import type { HostConfig, HostEvent } from '../../lib/io/protocol';

/** Two tracks, no quantize or crossfade (commands act at once), little memory, the null backend. */
export function testConfig(overrides: Partial<HostConfig> = {}): HostConfig {
  return {
    sampleRate: 48000,
    blockFrames: 256,
    tracks: 2,
    bpm: 120,
    beatsPerBar: 4,
    quantize: 'off',
    crossfadeFrames: 0,
    inputLatencyFrames: 0,
    backend: 'null',
    inputDevice: '',
    outputDevice: '',
    sessionDir: '',
    metronome: { enabled: true, volume: 0.5, countInBars: 0, sound: 'builtin' },
    memoryMiB: 8,
    ...overrides,
  };
}

/** Resolves with the first 'event' that matches, or rejects after timeoutMs naming what was awaited. */
export function nextEvent<T extends HostEvent['type']>(
  client: EventEmitter,
  type: T,
  match: (e: Extract<HostEvent, { type: T }>) => boolean = () => true,
  timeoutMs = 10000,
): Promise<Extract<HostEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('event', listener);
      reject(new Error(`no matching '${type}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (e: HostEvent) => {
      if (e.type === type && match(e as Extract<HostEvent, { type: T }>)) {
        clearTimeout(timer);
        client.off('event', listener);
        resolve(e as Extract<HostEvent, { type: T }>);
      }
    };
    client.on('event', listener);
  });
}

export function exitOf(client: EventEmitter): Promise<number> {
  return new Promise((resolve) => client.once('exit', resolve));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until the process is gone (the OS reaps it a little after its exit event). */
export async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}
