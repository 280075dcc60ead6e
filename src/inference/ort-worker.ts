// Worker thread: holds one onnxruntime session and runs batches sent by WorkerExecutor.
import { parentPort, workerData } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import type { TensorData } from './dtypes.js';
import { fromOrtOutputs, loadOrt, toOrtFeeds, transferables, type WorkerRequest, type WorkerResponse } from './executor.js';

const port = parentPort!;
const { model, options } = workerData as { model: Uint8Array; options: ort.InferenceSession.SessionOptions };
const ortLib = await loadOrt();

try {
  const session = await ortLib.InferenceSession.create(model, options);
  port.on('message', (msg: WorkerRequest) => {
    session
      .run(toOrtFeeds(ortLib, msg.feeds))
      .then((results) => {
        const outputs: Record<string, TensorData> = fromOrtOutputs(results);
        const reply: WorkerResponse = { id: msg.id, outputs };
        port.postMessage(reply, transferables(outputs));
      })
      .catch((err: unknown) => {
        const reply: WorkerResponse = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
        port.postMessage(reply);
      });
  });
  const ready: WorkerResponse = { ready: true };
  port.postMessage(ready);
} catch (err) {
  const failed: WorkerResponse = { failed: err instanceof Error ? err.message : String(err) };
  port.postMessage(failed);
}
