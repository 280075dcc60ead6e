import type { JobQueue, StepHandler, StepJob } from '../job-queue.js';

/**
 * Runs steps in this process, `concurrency` at a time, in the order they were queued. Jobs sent before
 * `work` wait for it; nothing survives the process (orphan recovery marks such runs failed on restart).
 */
export class InProcessQueue implements JobQueue {
  readonly kind = 'inprocess' as const;
  private readonly waiting: StepJob[] = [];
  private readonly running = new Set<Promise<void>>();
  private handler: StepHandler | undefined;
  private concurrency = 1;
  private stopped = false;

  send(job: StepJob): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.waiting.push(job);
    this.pump();
    return Promise.resolve();
  }

  work(handler: StepHandler, concurrency: number): Promise<void> {
    this.handler = handler;
    this.concurrency = Math.max(1, concurrency);
    this.pump();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.length = 0;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler || this.stopped) return;
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      // The handler records its own failures in the store; a throw here is a bug, kept from crashing the process.
      const task: Promise<void> = handler(job)
        .catch((err: unknown) => {
          process.emitWarning(`pipeline step ${job.runId}/${job.stepId} failed outside its handler: ${(err as Error).stack ?? String(err)}`);
        })
        .finally(() => {
          this.running.delete(task);
          this.pump();
        });
      this.running.add(task);
    }
  }
}
