import { isIP } from 'net';
import { homedir } from 'os';
import * as path from 'path';
import { DEFAULT_SESSION_FOLDER } from '../control/host-config';
import { InputError, numberIn } from '../engine/commands';
import { DEFAULT_OPTIONS, LIMITS } from '../engine/types';
import type { HostStatus } from '../io/client';
import { ForkedClient } from '../io/forked-client';
import type { HostEvent } from '../io/protocol';
import { DEFAULT_OSC_HOST, DEFAULT_OSC_PORT, OscServer } from '../osc/server';
import { parseCliArgs, stringOption } from './args';
import { LIVE_OPTIONS, LIVE_USAGE, liveHostConfig, liveOptionsOf } from './live';

// `loopstation osc`: the looper with no Node-RED and no keyboard, played from a SooperLooper controller
// (slgui -P 9951, a TouchOSC or Open Stage Control layout). The engine runs in the same forked host as
// under Node-RED; lib/osc/server.ts answers OSC.

/** Where /save_session and /load_session keep sessions (and the host its autosave) unless told. */
export const DEFAULT_OSC_SESSION_DIR = path.join(homedir(), DEFAULT_SESSION_FOLDER);

export const OSC_USAGE = `usage: loopstation osc [--port N] [--host ADDRESS] [--loops N] [--session-dir DIR] [engine options]

  --port N          UDP port (default ${DEFAULT_OSC_PORT}; 0 = any free port, printed at start)
  --host ADDRESS    address to listen on (default ${DEFAULT_OSC_HOST}: this machine only; 0.0.0.0 lets the
                    network in, and with it anyone there: OSC has no password)
  --loops N         the engine's loops at the start (default: one per track; SooperLooper starts with
                    1); /loop_add and /loop_del add and delete loops in the engine, up to --tracks
  --session-dir DIR where /save_session and /load_session keep sessions, and the autosave
                    (default ~/${DEFAULT_SESSION_FOLDER}; "none": no sessions)

the quantize is off unless --quantize says otherwise (SooperLooper's default); /quit ends it.

engine options are those of loopstation live (--backend, --device, --bpm, --tracks, --quantize...):
${LIVE_USAGE.split('\n').filter((l) => l.startsWith('  --')).join('\n')}
`;

export async function oscCommand(args: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out(OSC_USAGE);
    return 0;
  }
  const { values } = parseCliArgs(args, {
    ...LIVE_OPTIONS,
    port: { type: 'string' },
    host: { type: 'string' },
    loops: { type: 'string' },
    'session-dir': { type: 'string' },
  });
  const portArg = stringOption(values, 'port');
  const port = portArg === undefined ? DEFAULT_OSC_PORT : numberIn(portArg, '--port', [0, 65535], true);
  const host = stringOption(values, 'host') ?? DEFAULT_OSC_HOST;
  if (!isIP(host)) throw new InputError('--host', `${JSON.stringify(host)} is not an IP address; accepted: 127.0.0.1, 0.0.0.0, ::, or an interface's address`);
  const loopsArg = stringOption(values, 'loops');
  const loops = loopsArg === undefined ? undefined : numberIn(loopsArg, '--loops', [0, LIMITS.tracks[1]], true);
  const dirArg = stringOption(values, 'session-dir');
  if (dirArg !== undefined && dirArg.trim() === '') throw new InputError('--session-dir', 'missing; accepted: a folder, or "none"');
  const sessionDir = dirArg === undefined ? DEFAULT_OSC_SESSION_DIR : dirArg.toLowerCase() === 'none' ? '' : path.resolve(dirArg);
  const options = liveOptionsOf(values);
  // SooperLooper's loops start unquantized; its quantize control sets ours
  if (stringOption(values, 'quantize') === undefined) options.quantize = 'off';
  const config = { ...liveHostConfig(options, options.bpm ?? DEFAULT_OPTIONS.bpm), sessionDir, loops };
  if (loops !== undefined && loops > config.tracks) throw new InputError('--loops', `${loops} is more than the ${config.tracks} tracks; accepted: 0 to --tracks`);
  const client = new ForkedClient(config);
  const ready = await client.start();
  // /quit ends the command like Ctrl-C (set once the wait below begins)
  let onQuit = (): void => undefined;
  const server = new OscServer({
    link: {
      send: (req) => client.send(req),
      status: () => client.request({ type: 'status' }) as Promise<HostStatus>,
      session: (command, name) => client.request({ type: 'session', command, name }),
    },
    tracks: config.tracks,
    loops,
    sampleRate: config.sampleRate,
    bpm: config.bpm,
    beatsPerBar: config.beatsPerBar,
    blockFrames: config.blockFrames,
    memoryMiB: config.memoryMiB,
    quit: () => onQuit(),
    warn: (text) => process.stderr.write(`loopstation osc: ${text}\n`),
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
  const sessions = sessionDir === '' ? 'no sessions' : `sessions in ${sessionDir}`;
  out(`loopstation osc: osc.udp://${bound.address}:${bound.port}/ drives ${server.protocol.loopTracks.length} of ${config.tracks} loops (${ready.backend} backend, ${config.bpm} bpm, ${sessions}); Ctrl-C quits`);
  let onSignal = (): void => undefined;
  const code = await new Promise<number>((resolve) => {
    onSignal = () => resolve(0);
    onQuit = onSignal;
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
