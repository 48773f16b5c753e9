import { parentPort, workerData } from 'node:worker_threads';
import { NotDirect, writeIndexPart, writePart } from './direct-part.js';
import type { DirectPartData, IndexDone, IndexRequest, PartLeaves } from './direct-part.js';
import { errorMessage } from './part-worker-errors.js';
import type { ThreadErrorMessage } from './part-worker-errors.js';

/** Worker thread of a direct load: the second half (direct-part.ts), phase 2 on request. */

export type DirectWorkerMessage =
  | { t: 'progress'; bytes: number }
  | ({ t: 'leaves' } & PartLeaves)
  | ({ t: 'index' } & IndexDone)
  | { t: 'fallback'; reason: string }
  | ThreadErrorMessage;

const data = workerData as DirectPartData;

function post(message: DirectWorkerMessage): void {
  parentPort!.postMessage(message);
}

function fail(error: unknown): void {
  if (error instanceof NotDirect) post({ t: 'fallback', reason: error.message });
  else post(errorMessage(error));
}

parentPort!.on('message', (req: IndexRequest) => {
  try {
    post({ t: 'index', ...writeIndexPart(req, data.layout) });
  } catch (error) {
    fail(error);
  }
});

writePart(data, (bytes) => post({ t: 'progress', bytes })).then((leaves) => post({ t: 'leaves', ...leaves }), fail);
