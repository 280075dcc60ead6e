export { AbTests, DEFAULT_MDE, type AbTestResults, type ResultsOptions, type OutcomeResult, type VariantCount } from './abtests.js';
export { AbTestRouting } from './routing-cache.js';
export { routeRequest, routedTest, shadowed, type Route, type RoutedTest } from './router.js';
export { bucketRanges, chooseVariant, fnv32a, hashSubject, type BucketRange } from './assignment.js';
export { matchesSegment, parseSegment, type Condition } from './segment.js';
export { AbTestSpec, CreateAbTest, GuardrailSpec, ShadowSpec, VariantSpec, type AbTestStatus, type AbTestView } from './spec.js';
export * from './analysis/index.js';
