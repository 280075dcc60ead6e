export { Monitoring, type ModelWindow, type WindowQuery, type MonitoringSummary, type Status, type VersionMonitoring, type EvaluationObserver } from './monitoring.js';
export { PredictionLog, directSink, predictionRow, writePredictionRows, type PredictionRow, type PredictionSink, type SerializeOptions, type PredictionRecord, type PredictionLogOptions, type PredictionLogStats, type PredictionLogEvents } from './prediction-log.js';
export { PredictionStore, type LoggedPrediction, type FeedbackRow } from './prediction-store.js';
export { Feedback, MAX_FEEDBACK_ITEMS, parseFeedbackItem, parseLabel, type FeedbackResult } from './feedback.js';
export { DriftReferences, columnsOf, featuresOf, readCsvRecords, referenceView, tabularInputOf, type DriftReference, type ReferenceView, type ReferencePredictions } from './reference.js';
export { summarizeVersion, dataQualityOf, type VersionWindow, type VariantWindow, type DataQuality, type FeatureQuality, type PerformanceSummary, type LatencySummary, type WindowDrift } from './window.js';
export { Alerts, DEFAULT_RULES, AlertViewSchema, breaches, checkRule, ruleValue, signBody, webhookHandler, type AlertEvent, type AlertHandler, type AlertView, type StoredRule, type WebhookTarget } from './alerts.js';
export * from './drift/index.js';
export { WorkerLogSink } from './log-writer.js';
