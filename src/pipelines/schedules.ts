import path from 'node:path';
import { Cron } from 'croner';
import type { Pipelines } from './pipelines.js';
import { readPipelineFile } from './pipelines.js';

export interface PipelineSchedule {
  pipeline: string;
  file: string;
  cron: string;
  next: string | null;
}

/**
 * Runs each scheduled pipeline file (`schedule:` cron) inside `berth serve`. Only the process that owns
 * the schedules (cluster worker 0) calls this, so a tick starts one run. Files are read at every tick,
 * so an edited pipeline takes effect at its next run.
 */
export function startPipelineSchedules(
  pipelines: Pipelines,
  files: readonly string[],
  home: string,
  events: { onStart?: (pipeline: string, runId: string) => void; onError?: (file: string, err: Error) => void } = {},
): { schedules: PipelineSchedule[]; stop(): void } {
  const crons: Cron[] = [];
  const schedules: PipelineSchedule[] = [];
  for (const entry of files) {
    const file = path.resolve(home, entry);
    const { spec } = readPipelineFile(file);
    if (!spec.schedule) continue;
    const cron = new Cron(spec.schedule, { protect: true }, async () => {
      try {
        const current = readPipelineFile(file);
        const run = await pipelines.start(current.spec, { source: current.source, baseDir: current.baseDir, trigger: 'schedule', actor: 'berth:schedule' });
        events.onStart?.(current.spec.name, run.id);
      } catch (err) {
        events.onError?.(file, err as Error);
      }
    });
    crons.push(cron);
    schedules.push({ pipeline: spec.name, file, cron: spec.schedule, next: cron.nextRun()?.toISOString() ?? null });
  }
  return { schedules, stop: () => crons.forEach((c) => c.stop()) };
}
