import { parentPort, workerData } from 'worker_threads';
import { ExportSource, ExportTarget, mixSourceFromSession, renderMixdown, writeMixdown } from './export';
import { answerFromWorker } from './worker';

// The worker side of exportInWorker(): one export, then exit.

const { source, target, loops } = workerData as { source: ExportSource; target: ExportTarget; loops: number };

answerFromWorker(parentPort?.postMessage.bind(parentPort), async () => {
  const { source: mix, problems } = 'tracks' in source ? { source, problems: [] } : await mixSourceFromSession(source.sessionDir);
  return { files: await writeMixdown(renderMixdown(mix, loops), target), problems };
});
