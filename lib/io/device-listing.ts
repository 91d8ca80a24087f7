import { fork } from 'child_process';
import path from 'path';
import { EXIT, UserError } from '../errors';
import type { DevicesMessage } from './host-main';

// The audio devices, listed by the engine host in a child process (`host-main.js devices`): PortAudio's
// probing writes to stdout and stderr from C, ALSA's noise included, and neither may reach the caller's
// (a Node-RED log, `loopstation devices --json`). Used by the CLI and the engine config node's dropdown.

const HOST_PATH = path.join(__dirname, 'host-main.js');
const LIST_TIMEOUT_MS = 15000;
/** After this long without an answer, `loopstation devices` says what it is waiting for (on stderr). */
export const SLOW_LISTING_MS = 3000;
export const SLOW_LISTING_NOTE =
  'still listing: PortAudio opens every ALSA device (the sound servers behind them too) and JACK to ask what they offer; one that does not answer holds it up (at most 15 s)\n';

/**
 * The child's environment: a listing must never start a sound server. JACK's client library starts
 * jackd when none runs unless told not to (PortAudio's JACK host API connects at initialisation).
 */
export function listingEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, JACK_NO_START_SERVER: '1' };
}

/** Lists the devices in a child engine host. Rejects with the binding's error (which says what to install). */
export function listDevicesInChild(env: NodeJS.ProcessEnv = process.env): Promise<Extract<DevicesMessage, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const child = fork(HOST_PATH, ['devices'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: listingEnv(env), execArgv: [] });
    // drained, never shown: ALSA probe noise
    child.stdout!.resume();
    child.stderr!.resume();
    let answer: DevicesMessage | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), LIST_TIMEOUT_MS);
    child.on('message', (m: DevicesMessage) => (answer = m));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.ok) resolve(answer);
      else if (answer) reject(Object.assign(deviceErrorOf(answer.name, answer.error), { name: answer.name }));
      else reject(new Error(`the device listing ended without an answer (${signal ?? `code ${code}`})`));
    });
  });
}

/** An error the listing child reported (its class is lost on the way): one a user can fix stays one. */
function deviceErrorOf(name: string | undefined, message: string): Error {
  const fixable = name === 'PortAudioUnavailableError' || name === 'DeviceNotFoundError';
  return fixable ? new UserError(message, EXIT.unavailable) : new Error(message);
}
