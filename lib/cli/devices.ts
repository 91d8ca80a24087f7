import { fork } from 'child_process';
import path from 'path';
import { InputError } from '../engine/commands';
import type { DevicesMessage } from '../io/host-main';
import type { AudioDevice } from '../io/portaudio';

// `loopstation devices [--json]`: what PortAudio sees, listed by the engine host in a child process,
// since naudiodon prints to stdout from C and ALSA's probing fills stderr (neither may reach ours,
// least of all under --json).

const HOST_PATH = path.join(__dirname, '..', 'io', 'host-main.js');
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
      else if (answer) reject(Object.assign(new Error(answer.error), { name: answer.name }));
      else reject(new Error(`the device listing ended without an answer (${signal ?? `code ${code}`})`));
    });
  });
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One row per device; the defaults marked, channels as in/out. */
export function formatDevices(devices: readonly AudioDevice[]): string {
  const rows = devices.map((d) => [
    String(d.id),
    d.spec,
    d.hostAPI,
    `${d.maxInputChannels}/${d.maxOutputChannels}`,
    String(d.defaultSampleRate),
    [d.isDefaultInput ? 'input' : '', d.isDefaultOutput ? 'output' : ''].filter(Boolean).join('+'),
  ]);
  const header = ['id', 'name', 'host API', 'in/out', 'rate', 'default'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => pad(c, widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

export async function devicesCommand(
  args: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  list: () => ReturnType<typeof listDevicesInChild> = listDevicesInChild,
  after: (fn: () => void, ms: number) => () => void = (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
): Promise<number> {
  const json = args.includes('--json');
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length > 0) throw new InputError(unknown[0], 'unknown option; accepted: --json');
  // a slow listing is a sound system taking its time, not a hang: say so (stderr, so --json stays clean)
  const cancel = after(() => err.write(SLOW_LISTING_NOTE), SLOW_LISTING_MS);
  const { devices, binding } = await list().finally(cancel);
  if (json) {
    out.write(`${JSON.stringify(devices)}\n`);
    return 0;
  }
  out.write(devices.length === 0 ? `PortAudio (${binding}) sees no devices\n` : formatDevices(devices));
  out.write('select one by name (stable across reboots) with --input/--output, or in the engine config node\n');
  return 0;
}
