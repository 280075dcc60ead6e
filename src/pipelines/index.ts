export { Pipelines, readPipelineFile, resolveParams, PIPELINES_EXPERIMENT_PREFIX, type BuiltinContext, type BuiltinStepRunner, type PipelinesOptions, type StartOptions, type PipelineEvent } from './pipelines.js';
export { PipelineStore, TERMINAL_STATES, type PipelineRunView, type StepView, type AttemptView } from './pipeline-store.js';
export { parsePipeline, BUILTIN_STEPS, type PipelineSpec, type StepSpec, type BuiltinStep } from './spec.js';
export { builtinSteps } from './builtin-steps.js';
export { InProcessQueue } from './in-process/in-process-queue.js';
export { PgBossQueue } from './pg-boss/pg-boss-queue.js';
export type { JobQueue, StepJob } from './job-queue.js';
export { startPipelineSchedules, type PipelineSchedule } from './schedules.js';
