import { spawn } from 'node:child_process';
import path from 'node:path';

/** Runs test/helpers/registry-worker.ts in real child processes (Node + tsx), several at once. */

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const WORKER_SCRIPT = path.join(REPO_ROOT, 'test', 'helpers', 'registry-worker.ts');

export interface WorkerSpec {
  /** Becomes the actor `worker:<name>`. */
  name: string;
  /** The worker's command line: `register MODEL FILE CARDFILE COUNT`, `promote MODEL ALIAS V1,V2,...` or `open`. */
  args: string[];
}

export interface WorkerResult {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout, one parsed JSON value per line (the barrier's `{"ready":true}` left out). */
  results: Array<Record<string, unknown>>;
  stdout: string;
  stderr: string;
}

/**
 * The environment a worker runs with: this process's, minus every BERTH_* variable (so nothing from the
 * developer's shell leaks into the project the worker opens), plus `env` (a target's `make().env`).
 */
export function workerEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BERTH_')));
  return { ...base, ...env };
}

/**
 * Starts every worker at once. With `barrier` (the default) each worker opens the project, reports ready
 * and waits; once all are ready (or have died), all are released together, so their operations overlap.
 */
export function runWorkers(
  specs: WorkerSpec[],
  env: Record<string, string>,
  options: { barrier?: boolean; timeoutMs?: number } = {},
): Promise<WorkerResult[]> {
  const barrier = options.barrier ?? true;
  const timeoutMs = options.timeoutMs ?? 100_000;
  let waiting = specs.length;
  const children: Array<ReturnType<typeof spawn>> = [];
  const releaseAll = () => {
    for (const child of children) {
      if (child.stdin && !child.stdin.destroyed) child.stdin.end('go\n');
    }
  };
  const arrived = () => {
    waiting -= 1;
    if (waiting === 0) releaseAll();
  };

  return Promise.all(
    specs.map(
      (spec) =>
        new Promise<WorkerResult>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, ...spec.args], {
            cwd: REPO_ROOT,
            env: { ...workerEnv(env), BERTH_WORKER_NAME: spec.name, BERTH_WORKER_BARRIER: barrier ? '1' : '0' },
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          children.push(child);
          // A worker that dies before it is ready must not hold the others at the barrier.
          child.stdin?.on('error', () => {});
          let stdout = '';
          let stderr = '';
          let ready = !barrier;
          let pending = '';
          const results: Array<Record<string, unknown>> = [];
          child.stdout?.setEncoding('utf8');
          child.stderr?.setEncoding('utf8');
          child.stdout?.on('data', (chunk: string) => {
            stdout += chunk;
            pending += chunk;
            let nl: number;
            while ((nl = pending.indexOf('\n')) >= 0) {
              const line = pending.slice(0, nl).trim();
              pending = pending.slice(nl + 1);
              if (!line) continue;
              let value: Record<string, unknown>;
              try {
                value = JSON.parse(line) as Record<string, unknown>;
              } catch {
                value = { unparsed: line };
              }
              if (value['ready'] === true && !ready) {
                ready = true;
                arrived();
              } else {
                results.push(value);
              }
            }
          });
          child.stderr?.on('data', (chunk: string) => {
            stderr += chunk;
          });
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          child.on('error', (err) => {
            clearTimeout(timer);
            reject(err);
          });
          child.on('close', (code, signal) => {
            clearTimeout(timer);
            if (!ready) {
              ready = true;
              arrived();
            }
            resolve({ name: spec.name, code, signal, results, stdout, stderr });
          });
        }),
    ),
  );
}

/** A readable account of failed workers for an assertion message. */
export function describeFailures(results: WorkerResult[]): string {
  return results
    .filter((r) => r.code !== 0)
    .map((r) => `worker ${r.name}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n${r.stderr.slice(0, 2000)}`)
    .join('\n');
}
