import pg from 'pg';
import PgBoss from 'pg-boss';
import type { JobQueue, StepHandler, StepJob } from '../job-queue.js';

export const STEP_QUEUE = 'berth-pipeline-step';

export interface PgBossQueueOptions {
  connectionString: string;
  /** pg-boss keeps its tables in this schema (per Berth schema, so test schemas never share jobs). */
  schema: string;
  pollingIntervalSeconds?: number;
}

/**
 * Steps as pg-boss jobs in the same Postgres. Retries, timeouts and cancellation are Berth's (they must
 * be recorded per attempt); pg-boss only hands each step to exactly one worker. A worker that dies
 * mid-step leaves the step's heartbeat stale, and orphan recovery fails it.
 */
export class PgBossQueue implements JobQueue {
  readonly kind = 'queue' as const;
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;
  private readonly workers: string[] = [];

  constructor(private readonly options: PgBossQueueOptions) {}

  private started(): Promise<PgBoss> {
    this.starting ??= this.serialized(async () => {
      const boss = new PgBoss({
        connectionString: this.options.connectionString,
        schema: this.options.schema,
        max: 4,
        // Berth's own schedules drive cron; pg-boss's scheduler would be a second clock.
        schedule: false,
      });
      boss.on('error', (err: Error) => process.emitWarning(`pg-boss: ${err.message}`));
      await boss.start();
      await boss.createQueue(STEP_QUEUE, { name: STEP_QUEUE, retryLimit: 0, expireInHours: 23 }).catch((err: Error) => {
        if (!/already exists/.test(err.message)) throw err;
      });
      this.boss = boss;
      return boss;
    });
    return this.starting;
  }

  /**
   * Runs pg-boss's start one process at a time. Two processes installing its schema at once race: the loser
   * gets "already exists" inside pg-boss's own transaction, which pg-boss accepts but leaves that connection
   * in an aborted transaction holding its install lock, stalling every later pg-boss statement for 30 s.
   */
  private async serialized<T>(fn: () => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.options.connectionString });
    await client.connect();
    try {
      await client.query('select pg_advisory_lock(hashtext($1))', [`berth-pgboss-start:${this.options.schema}`]);
      return await fn();
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async send(job: StepJob): Promise<void> {
    const boss = await this.started();
    // No singleton key: a resumed step is queued again while its dead worker's job may still be 'active'; the
    // runner's claim (queued → running in one UPDATE) is what makes each step run once.
    await boss.send(STEP_QUEUE, { ...job }, { retryLimit: 0, expireInHours: 23 });
  }

  async work(handler: StepHandler, concurrency: number): Promise<void> {
    const boss = await this.started();
    for (let i = 0; i < Math.max(1, concurrency); i++) {
      const id = await boss.work<StepJob>(STEP_QUEUE, { batchSize: 1, pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 1 }, async (jobs) => {
        for (const job of jobs) await handler({ runId: job.data.runId, stepId: job.data.stepId });
      });
      this.workers.push(id);
    }
  }

  async stop(): Promise<void> {
    if (!this.starting) return;
    const boss = await this.starting;
    await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    this.boss = undefined;
  }
}
