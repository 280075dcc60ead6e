import { parentPort, workerData } from 'node:worker_threads';
import { LocalArtifactStore } from '../artifacts/index.js';
import { artifactsPath, type Config } from '../config/index.js';
import { Registry } from '../registry/index.js';
import { openStore, type StoreOptions } from '../store/index.js';
import { Monitoring } from './monitoring.js';
import { errorReply, type WindowThreadReply, type WindowThreadRequest } from './window-thread.js';

/**
 * The monitoring window thread (see WindowThread): its own store connection and read-only services,
 * computing one window at a time, in arrival order.
 */
const { store: storeOptions, config } = workerData as { store: StoreOptions; config: Config };
const port = parentPort!;

try {
  const store = await openStore(storeOptions);
  const registry = new Registry(store.db, new LocalArtifactStore(artifactsPath(config)), {
    maxModelBytes: config.registry.max_model_bytes,
    maxCardBytes: config.registry.max_card_bytes,
  });
  const monitoring = new Monitoring(store.db, registry, config);
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (msg: WindowThreadRequest) => {
    if ('close' in msg) {
      chain = chain.then(() => store.close()).then(() => process.exit(0));
      return;
    }
    chain = chain.then(async () => {
      try {
        port.postMessage({ seq: msg.seq, window: await monitoring.computeWindow(msg.model, msg.query) } satisfies WindowThreadReply);
      } catch (err) {
        port.postMessage({ seq: msg.seq, error: errorReply(err) } satisfies WindowThreadReply);
      }
    });
  });
  port.postMessage({ ready: true } satisfies WindowThreadReply);
} catch (err) {
  port.postMessage({ failed: err instanceof Error ? err.message : String(err) } satisfies WindowThreadReply);
}
