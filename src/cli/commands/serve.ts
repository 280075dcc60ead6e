import cluster from 'node:cluster';
import { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { openBerth } from '../../context/index.js';
import { DEMO_MODEL, demoRequestBody, seedDemo } from '../demo.js';
import { globals, loadCliConfig } from '../context.js';

function banner(url: string, config: Config, models: string[], demo: boolean, workers: number): string {
  const lines = [
    `Berth is serving at ${url}${workers > 1 ? ` (${workers} worker processes)` : ''}`,
    `  store:     ${config.database.url ? 'postgres' : `sqlite ${config.home}/berth.db`}`,
    `  models:    ${models.length === 0 ? '(none yet: berth versions register NAME --onnx model.onnx)' : models.join(', ')}`,
    `  API docs:  ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
    `  metrics:   ${url}/metrics`,
  ];
  if (demo || models.includes(DEMO_MODEL)) {
    lines.push('', 'Try a prediction:', `  curl -s ${url}/v1/models/${DEMO_MODEL}/predict -H 'content-type: application/json' \\`, `    -d '${demoRequestBody()}'`);
  }
  return `${lines.join('\n')}\n`;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the Berth server: registry API, predictions, Open Inference Protocol, metrics, docs at /docs')
    .option('--host <host>', 'address to bind (default 127.0.0.1; any other needs API keys)')
    .option('-p, --port <port>', 'port (0 = any free port)')
    .option('-w, --workers <n>', 'server processes sharing the port (node:cluster)')
    .option('--demo', 'on an empty home, register and promote a demo model first')
    .action(async (opts: { host?: string; port?: string; workers?: string; demo?: boolean }, cmd: Command) => {
      const { config } = loadCliConfig(globals(cmd), { 'server.host': opts.host, 'server.port': opts.port, 'server.workers': opts.workers });
      // Loaded here so the other commands do not pay for the HTTP stack at startup.
      const { startServer } = await import('../../serving/index.js');

      if (cluster.isPrimary) {
        const berth = await openBerth(config);
        let seeded = false;
        try {
          if (opts.demo) seeded = await seedDemo(berth);
        } catch (err) {
          await berth.close();
          throw err;
        }
        if (seeded) process.stdout.write(`Registered the demo model '${DEMO_MODEL}' and promoted it to production.\n`);
        if (config.server.workers > 1) {
          const models = (await berth.registry.listModels({ limit: 1000 })).models.map((m) => m.name);
          await berth.close();
          return runPrimary(config, models, opts.demo === true);
        }
        let server;
        try {
          server = await startServer(berth);
        } catch (err) {
          await berth.close();
          throw err;
        }
        const models = (await berth.registry.listModels({ limit: 1000 })).models.map((m) => m.name);
        process.stdout.write(banner(server.url, config, models, opts.demo === true, 1));
        onSignals(async () => {
          await server.close();
          await berth.close();
        });
        return;
      }
      // A cluster worker: serve, and tell the primary where. Worker 0 alone runs the alert schedule.
      const berth = await openBerth(config);
      const server = await startServer(berth, { schedule: process.env['BERTH_WORKER_INDEX'] === '0' });
      process.send?.({ listening: server.url });
      onSignals(async () => {
        await server.close();
        await berth.close();
      });
    });
}

/** Forks the workers (each loads the models and follows alias moves on its own) and supervises them. */
async function runPrimary(config: Config, models: string[], demo: boolean): Promise<void> {
  let url: string | undefined;
  let stopping = false;
  const indexOf = new Map<number, number>();
  const fork = (index: number) => {
    const worker = cluster.fork({ BERTH_WORKER_INDEX: String(index) });
    indexOf.set(worker.id, index);
    worker.on('message', (msg: { listening?: string }) => {
      if (msg.listening && !url) {
        url = msg.listening;
        process.stdout.write(banner(url, config, models, demo, config.server.workers));
      }
    });
  };
  for (let i = 0; i < config.server.workers; i++) fork(i);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    fork(indexOf.get(worker.id) ?? 0);
  });
  onSignals(async () => {
    stopping = true;
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!w || w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  });
}

function onSignals(close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`${signal}: finishing in-flight requests and closing\n`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
