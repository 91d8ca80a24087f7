import { parentPort, workerData } from 'worker_threads';
import { ExportTarget, MixSource, renderMixdown, writeMixdown } from './export';

// The worker side of exportInWorker(): one export, then exit.

const { source, target, loops } = workerData as { source: MixSource; target: ExportTarget; loops: number };

Promise.resolve()
  .then(() => writeMixdown(renderMixdown(source, loops), target))
  .then(
  (files) => parentPort?.postMessage({ files }),
  (err: Error) => parentPort?.postMessage({ error: { name: err.name, message: err.message } }),
);
