// The engine host: a child process forked by ForkedClient (lib/io/forked-client.ts) that owns the
// audio device and the engine, so nothing the parent does (Node-RED deploys, GC, a busy threadpool) can
// starve the audio. This file is its main thread: the argv and the IPC channel. The engine runs on a
// worker thread (lib/io/host-worker.ts), which the callback bridge turns into the audio thread; this
// thread relays requests to it and its events to the parent. Its stdout and stderr are pipes the
// parent reads: naudiodon prints from C to stdout (xrun lines the parent counts) and ALSA's probing
// writes to stderr.
//
//   node host-main.js run '<HostConfig as JSON>'   the host: commands in, events out over IPC
//   node host-main.js devices                      one 'devices' message with the device list, then exit
//
// On naudiodon's stream path each pending read or write holds a libuv threadpool thread for as long as
// it waits, so the host's pool must outnumber them (the parent also sets this in the child's env; libuv
// reads it once, at the pool's first use, which has not happened while this module loads).
process.env.UV_THREADPOOL_SIZE ??= '8';

import path from 'path';
import { Worker } from 'worker_threads';
import type { HostInbound } from './host';
import type { WorkerOutbound } from './host-worker';
import { activeBinding, listDevices, PortAudioBinding, PORTAUDIO_INSTALL_HINT } from './portaudio';
import { HOST_EXIT, HostEvent } from './protocol';

/** What the 'devices' mode sends before exiting. */
export type DevicesMessage =
  | { type: 'devices'; ok: true; binding: PortAudioBinding; devices: ReturnType<typeof listDevices> }
  | { type: 'devices'; ok: false; error: string; name: string };

/** IPC messages handed to the channel but not yet written: exit waits for them (process.exit would drop them). */
let sending = 0;
let exitCode: number | undefined;

/** Sends over IPC while the parent listens; a gone parent is handled by 'disconnect'. */
function sendToParent(message: HostEvent | DevicesMessage): void {
  if (!process.connected) return;
  sending++;
  process.send!(message, () => {
    if (--sending === 0 && exitCode !== undefined) process.exit(exitCode);
  });
}

/** Exits once every message sent so far is written, or after a second if the parent stopped reading. */
function exitWhenSent(code: number): void {
  exitCode = code;
  if (sending === 0 || !process.connected) process.exit(code);
  setTimeout(() => process.exit(code), 1000).unref();
}

function runDevices(): void {
  let message: DevicesMessage;
  try {
    const binding = activeBinding();
    message = { type: 'devices', ok: true, binding, devices: listDevices() };
  } catch (err) {
    message = { type: 'devices', ok: false, error: (err as Error).message, name: (err as Error).name };
  }
  sendToParent(message);
  exitWhenSent(HOST_EXIT.ok);
}

function runHost(configJson: string): void {
  const worker = new Worker(path.join(__dirname, 'host-worker.js'), { workerData: configJson, stdout: false, stderr: false });
  worker.on('message', (m: WorkerOutbound) => {
    if (m.kind === 'event') sendToParent(m.event);
    else exitWhenSent(m.code);
  });
  // an exception on the engine's thread ends the worker: the host is broken, the parent restarts it
  worker.on('error', (err) => {
    sendToParent({ type: 'error', track: 0, message: `engine host crashed: ${err.stack ?? err.message}` });
    exitWhenSent(HOST_EXIT.crashed);
  });
  worker.on('exit', (code) => {
    if (exitCode === undefined) exitWhenSent(code === 0 ? HOST_EXIT.ok : HOST_EXIT.crashed);
  });
  process.on('message', (m: HostInbound) => worker.postMessage(m));
  // the parent is gone (crashed, killed): nobody will ask this host to quit, so it does it itself
  process.on('disconnect', () => worker.postMessage({ type: 'quit' } satisfies HostInbound));
  process.on('uncaughtException', (err) => {
    sendToParent({ type: 'error', track: 0, message: `engine host crashed: ${err.stack ?? err.message}` });
    exitWhenSent(HOST_EXIT.crashed);
  });
}

if (require.main === module) {
  const [mode, arg] = process.argv.slice(2);
  if (mode === 'devices') runDevices();
  else if (mode === 'run' && arg !== undefined) runHost(arg);
  else {
    process.stderr.write(`usage: host-main.js run '<HostConfig JSON>' | devices (${PORTAUDIO_INSTALL_HINT})\n`);
    process.exit(HOST_EXIT.startFailed);
  }
}
