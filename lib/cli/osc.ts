import { isIP } from 'net';
import { InputError, numberIn } from '../engine/commands';
import { DEFAULT_OPTIONS } from '../engine/types';
import type { HostStatus } from '../io/client';
import { ForkedClient } from '../io/forked-client';
import type { HostEvent } from '../io/protocol';
import { DEFAULT_OSC_HOST, DEFAULT_OSC_PORT, OscServer } from '../osc/server';
import { parseCliArgs, stringOption } from './args';
import { LIVE_OPTIONS, LIVE_USAGE, liveHostConfig, liveOptionsOf } from './live';

// `loopstation osc`: the looper with no Node-RED and no keyboard, played from a SooperLooper controller
// (slgui -P 9951, a TouchOSC or Open Stage Control layout). The engine runs in the same forked host as
// under Node-RED; lib/osc/server.ts answers OSC.

export const OSC_USAGE = `usage: loopstation osc [--port N] [--host ADDRESS] [engine options]

  --port N          UDP port (default ${DEFAULT_OSC_PORT}; 0 = any free port, printed at start)
  --host ADDRESS    address to listen on (default ${DEFAULT_OSC_HOST}: this machine only; 0.0.0.0 lets the
                    network in, and with it anyone there: OSC has no password)

engine options are those of loopstation live (--backend, --device, --bpm, --tracks, --quantize...):
${LIVE_USAGE.split('\n').filter((l) => l.startsWith('  --')).join('\n')}
`;

export async function oscCommand(args: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out(OSC_USAGE);
    return 0;
  }
  const { values } = parseCliArgs(args, { ...LIVE_OPTIONS, port: { type: 'string' }, host: { type: 'string' } });
  const portArg = stringOption(values, 'port');
  const port = portArg === undefined ? DEFAULT_OSC_PORT : numberIn(portArg, '--port', [0, 65535], true);
  const host = stringOption(values, 'host') ?? DEFAULT_OSC_HOST;
  if (!isIP(host)) throw new InputError('--host', `${JSON.stringify(host)} is not an IP address; accepted: 127.0.0.1, 0.0.0.0, ::, or an interface's address`);
  const options = liveOptionsOf(values);
  const config = liveHostConfig(options, options.bpm ?? DEFAULT_OPTIONS.bpm);
  const client = new ForkedClient(config);
  const ready = await client.start();
  const server = new OscServer({
    link: {
      send: (req) => client.send(req),
      status: () => client.request({ type: 'status' }) as Promise<HostStatus>,
      session: (command, name) => client.request({ type: 'session', command, name }),
    },
    tracks: config.tracks,
    sampleRate: config.sampleRate,
    bpm: config.bpm,
    beatsPerBar: config.beatsPerBar,
    port,
    host,
  });
  client.on('event', (e: HostEvent) => server.hostEvent(e));
  let bound: { address: string; port: number };
  try {
    bound = await server.start();
  } catch (err) {
    await client.stop();
    throw new InputError('--port', `cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  out(`loopstation osc: osc.udp://${bound.address}:${bound.port}/ drives ${config.tracks} loops (${ready.backend} backend, ${config.bpm} bpm); Ctrl-C quits`);
  let onSignal = (): void => undefined;
  const code = await new Promise<number>((resolve) => {
    onSignal = () => resolve(0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    client.once('exit', (c: number) => resolve(c === 0 ? 0 : 1));
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await server.stop();
  await client.stop();
  return code;
}
