/**
 * A child process for the multi-process registry tests. It opens the project the way the CLI does
 * (`loadConfig` from the environment + `openBerth`), runs one command's operations one after another and
 * prints one JSON line per result on stdout, then closes.
 *
 *   node --import tsx test/helpers/registry-worker.ts register MODEL FILE CARDFILE COUNT
 *   node --import tsx test/helpers/registry-worker.ts promote MODEL ALIAS V1,V2,V3,...
 *   node --import tsx test/helpers/registry-worker.ts open
 *
 * Environment: BERTH_HOME, BERTH_DATABASE_URL, BERTH_DATABASE_SCHEMA, BERTH_CONFIG, ... (as `loadConfig`
 * reads them); BERTH_WORKER_NAME names the actor (`worker:<name>`). With BERTH_WORKER_BARRIER=1 the worker
 * prints `{"ready":true}` once the project is open and waits for a line on stdin before it starts, so a
 * test can release several workers at the same instant. BERTH_WORKER_PAUSE_MS=N makes it wait a random
 * 0..N ms between operations, as separate commands would: without it a SQLite writer that just committed
 * usually takes the lock again before the others (asleep in their busy handlers) wake up, so the
 * processes would queue instead of interleaving.
 *
 * A failure prints `{"error":{...}}` on stderr and exits with code 1.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config/index.js';
import { openBerth, type Berth } from '../../src/context/index.js';
import { appliedMigrations } from '../../src/store/index.js';

function emit(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

const PAUSE_MS = Number(process.env['BERTH_WORKER_PAUSE_MS'] ?? 0);

async function pause(): Promise<void> {
  if (PAUSE_MS > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * PAUSE_MS));
}

function usage(message: string): never {
  throw new Error(
    `${message}\nusage: registry-worker register MODEL FILE CARDFILE COUNT | promote MODEL ALIAS V1,V2,... | open`,
  );
}

async function barrier(): Promise<void> {
  if (process.env['BERTH_WORKER_BARRIER'] !== '1') return;
  emit({ ready: true });
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => {
    lines.once('line', () => resolve());
    lines.once('close', () => resolve());
  });
  lines.close();
}

async function run(berth: Berth, command: string | undefined, args: string[], actor: string): Promise<void> {
  switch (command) {
    case 'register': {
      const [model, file, cardFile, countText] = args;
      if (!model || !file || !cardFile || !countText) usage('register needs MODEL FILE CARDFILE COUNT');
      const count = Number(countText);
      if (!Number.isInteger(count) || count < 1) usage(`COUNT must be a positive integer, got ${countText}`);
      const card = readFileSync(cardFile, 'utf8');
      for (let i = 0; i < count; i++) {
        if (i > 0) await pause();
        const v = await berth.registry.registerVersion({ model, file, card, description: `${actor} #${i}` }, actor);
        emit({ op: 'register', model, version: v.version, sha256: v.sha256 });
      }
      return;
    }
    case 'promote': {
      const [model, alias, list] = args;
      if (!model || !alias || !list) usage('promote needs MODEL ALIAS V1,V2,...');
      const versions = list.split(',').map(Number);
      if (!versions.every((v) => Number.isInteger(v) && v > 0)) usage(`versions must be positive integers, got ${list}`);
      for (const [i, version] of versions.entries()) {
        if (i > 0) await pause();
        const move = await berth.registry.promote(model, version, actor, { alias });
        emit({ op: 'promote', ...move });
      }
      return;
    }
    case 'open':
      emit({ op: 'open', engine: berth.store.engine, migrations: await appliedMigrations(berth.store) });
      return;
    default:
      usage(`unknown command ${JSON.stringify(command)}`);
  }
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const actor = `worker:${process.env['BERTH_WORKER_NAME'] ?? process.pid}`;
  const { config } = loadConfig({ env: process.env });
  // `open` races the opening itself; the other commands race their operations.
  if (command !== 'open') {
    const berth = await openBerth(config);
    try {
      await barrier();
      await run(berth, command, args, actor);
    } finally {
      await berth.close();
    }
    return;
  }
  await barrier();
  const berth = await openBerth(config);
  try {
    await run(berth, command, args, actor);
  } finally {
    await berth.close();
  }
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (err: unknown) => {
    const e = err as { code?: unknown; message?: unknown; stack?: unknown };
    process.stderr.write(`${JSON.stringify({ error: { code: e?.code ?? null, message: String(e?.message ?? err), stack: String(e?.stack ?? '') } })}\n`);
    process.exitCode = 1;
  },
);
