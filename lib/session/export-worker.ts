import { parentPort, workerData } from 'worker_threads';
import { ExportSource, ExportTarget, mixSourceFromSession, renderMixdown, writeMixdown } from './export';

// The worker side of exportInWorker(): one export, then exit.

const { source, target, loops } = workerData as { source: ExportSource; target: ExportTarget; loops: number };

Promise.resolve()
  .then(async () => ('tracks' in source ? { source, problems: [] } : mixSourceFromSession(source.sessionDir)))
  .then(async ({ source: mix, problems }) => ({ files: await writeMixdown(renderMixdown(mix, loops), target), problems }))
  .then(
  (result) => parentPort?.postMessage(result),
  (err: Error) => parentPort?.postMessage({ error: { name: err.name, message: err.message } }),
);
