/** One step of one pipeline run, ready to execute. */
export interface StepJob {
  runId: string;
  stepId: string;
}

export type StepHandler = (job: StepJob) => Promise<void>;

/**
 * Where ready steps go. In-process (SQLite, one machine): the process that queued a step runs it.
 * pg-boss (Postgres): any `berth worker` or `berth serve` connected to the database takes it, so several
 * machines share the work. The runner is the same either way.
 */
export interface JobQueue {
  /** `inprocess` runs belong to the process that started them; `queue` runs to whichever worker takes a step. */
  readonly kind: 'inprocess' | 'queue';
  send(job: StepJob): Promise<void>;
  /** Starts taking jobs: `concurrency` steps at a time. A queue without workers only stores jobs. */
  work(handler: StepHandler, concurrency: number): Promise<void>;
  /** Stops taking jobs and waits for those running to finish. */
  stop(): Promise<void>;
}
