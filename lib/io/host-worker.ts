// The engine's thread of the host process: a worker thread that runs the Host (lib/io/host.ts). The
// bridge driver blocks this thread on the device's callback, so it is the audio thread; the process's
// main thread (lib/io/host-main.ts) keeps the IPC channel to the parent and relays both ways.

import os from 'os';
import { parentPort, workerData } from 'worker_threads';
import { InputError } from '../engine/commands';
import { Host, HostInbound } from './host';
import { HOST_EXIT, HostConfig, HostEvent } from './protocol';

/** What the worker posts to the main thread: an event for the parent, or the exit code to leave with. */
export type WorkerOutbound = { kind: 'event'; event: HostEvent } | { kind: 'exit'; code: number };

function run(configJson: string): void {
  const port = parentPort!;
  const send = (event: HostEvent) => port.postMessage({ kind: 'event', event } satisfies WorkerOutbound);
  const exit = (code: number) => port.postMessage({ kind: 'exit', code } satisfies WorkerOutbound);
  let host: Host;
  try {
    host = new Host(JSON.parse(configJson) as HostConfig, send, exit);
  } catch (err) {
    send({ type: 'error', track: 0, message: err instanceof InputError ? `engine settings: ${err.message}` : (err as Error).message });
    exit(HOST_EXIT.startFailed);
    return;
  }
  // Linux applies a thread's nice value to that thread alone: this one renders the audio. Refused
  // without privileges, which costs nothing.
  try {
    os.setPriority(os.constants.priority.PRIORITY_HIGH);
  } catch {
    // not permitted: run at normal priority
  }
  port.on('message', (m: HostInbound) => host.handle(m));
  void host.start();
}

if (parentPort) run(workerData as string);
