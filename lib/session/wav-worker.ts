import { parentPort, workerData } from 'worker_threads';
import { readWavInput } from './import';
import { answerFromWorker } from './worker';

// The worker side of readWavInWorker(): one WAV read and decoded, its samples moved to the caller.

const { file, sampleRate, field } = workerData as { file: unknown; sampleRate: number; field: string };

answerFromWorker(parentPort?.postMessage.bind(parentPort), () => readWavInput(file, sampleRate, field), (audio) => [audio.data.buffer as ArrayBuffer]);
