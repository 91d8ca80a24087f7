import * as path from 'path';
import { Worker } from 'worker_threads';

// One job on a worker thread, for work the engine host's thread must not do (it renders the audio):
// an export's render, a WAV's decoding. The worker script posts one message, {result} or {error}, and
// exits; an error keeps its name (InputError, WavError) so callers can tell a user's mistake from a bug.

export interface WorkerReply<T> {
  result?: T;
  error?: { name: string; message: string };
}

/** Runs `script` (a file beside this one) with `data`; `transfer` moves buffers instead of copying them. */
export function runInWorker<T>(script: string, data: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, script), { workerData: data, transferList: transfer });
    let settled = false;
    worker.once('message', (msg: WorkerReply<T>) => {
      settled = true;
      if (msg.error) reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
      else resolve(msg.result as T);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`${script} exited with code ${code} without an answer`));
    });
  });
}

/** The worker side: runs `job` and posts its result (moving `transfer(result)`) or its error. */
export function answerFromWorker<T>(post: ((msg: WorkerReply<T>, transfer?: ArrayBuffer[]) => void) | undefined, job: () => Promise<T>, transfer: (r: T) => ArrayBuffer[] = () => []): void {
  job().then(
    (result) => post?.({ result }, transfer(result)),
    (err: Error) => post?.({ error: { name: err.name, message: err.message } }),
  );
}
