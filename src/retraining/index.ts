export { Retraining, type RetrainEventView, type PolicyView } from './retraining.js';
export { RetrainPolicy, DEFAULT_WATCH_HOURS, type TriggerKind } from './policy.js';
export { retrainingPipeline } from './default-pipeline.js';
