import { BerthClient } from '../../src/client/index.js';
import { loadConfig } from '../../src/config/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { startServer, type RunningServer } from '../../src/serving/index.js';
import type { StoreTarget } from './targets.js';

export interface TestServer {
  berth: Berth;
  server: RunningServer;
  url: string;
  client: BerthClient;
  stop(): Promise<void>;
}

/** The real server on a random loopback port, over a fresh home (and schema) of the given store. */
export async function startTestServer(target: StoreTarget, env: Record<string, string> = {}): Promise<TestServer> {
  const made = target.make();
  const { config } = loadConfig({ env: { ...made.env, ...env }, cwd: made.config.home });
  const berth = await openBerth(config);
  const server = await startServer(berth, { host: '127.0.0.1', port: 0, logger: false });
  return {
    berth,
    server,
    url: server.url,
    client: new BerthClient({ url: server.url }),
    stop: async () => {
      await server.close();
      await berth.close();
      await made.cleanup();
    },
  };
}
