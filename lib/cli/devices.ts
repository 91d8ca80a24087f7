import { fork } from 'child_process';
import path from 'path';
import { parseCliArgs } from './args';
import { EXIT, UserError } from '../errors';
import type { DevicesMessage } from '../io/host-main';
import type { AudioDevice } from '../io/portaudio';

// `loopstation devices [--json]`: what PortAudio sees, listed by the engine host in a child process,
// since naudiodon prints to stdout from C and ALSA's probing fills stderr (neither may reach ours,
// least of all under --json).

const HOST_PATH = path.join(__dirname, '..', 'io', 'host-main.js');
const LIST_TIMEOUT_MS = 15000;

/** Lists the devices in a child engine host. Rejects with the binding's error (which says what to install). */
export function listDevicesInChild(env: NodeJS.ProcessEnv = process.env): Promise<Extract<DevicesMessage, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const child = fork(HOST_PATH, ['devices'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env, execArgv: [] });
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

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One row per device; the defaults marked, channels as in/out. */
export function formatDevices(devices: readonly AudioDevice[]): string {
  const rows = devices.map((d) => [
    String(d.id),
    d.name,
    d.hostAPI,
    `${d.maxInputChannels}/${d.maxOutputChannels}`,
    String(d.defaultSampleRate),
    [d.isDefaultInput ? 'input' : '', d.isDefaultOutput ? 'output' : ''].filter(Boolean).join('+'),
  ]);
  const header = ['id', 'name', 'host API', 'in/out', 'rate', 'default'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => pad(c, widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

/** An error the listing child reported (its class is lost on the way): one a user can fix stays one. */
function deviceErrorOf(name: string | undefined, message: string): Error {
  const fixable = name === 'PortAudioUnavailableError' || name === 'DeviceNotFoundError';
  return fixable ? new UserError(message, EXIT.unavailable) : new Error(message);
}

export async function devicesCommand(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const json = parseCliArgs(args, { json: { type: 'boolean' } }).values.json === true;
  const { devices, binding } = await listDevicesInChild();
  if (json) {
    out.write(`${JSON.stringify(devices)}\n`);
    return 0;
  }
  out.write(devices.length === 0 ? `PortAudio (${binding}) sees no devices\n` : formatDevices(devices));
  out.write('select one by name (stable across reboots) with --input/--output, or in the engine config node\n');
  return 0;
}
