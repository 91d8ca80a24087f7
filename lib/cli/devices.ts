import { listDevicesInChild, SLOW_LISTING_MS, SLOW_LISTING_NOTE } from '../io/device-listing';
import { parseCliArgs } from './args';
import type { AudioDevice } from '../io/portaudio';

// `loopstation devices [--json]`: what PortAudio sees, listed by the engine host in a child process,
// since naudiodon prints to stdout from C and ALSA's probing fills stderr (neither may reach ours,
// least of all under --json).

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
  const json = parseCliArgs(args, { json: { type: 'boolean' } }).values.json === true;
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
