export { TrackingStore, checkKey, metricValueOut, encodeToken, decodeToken, type MetricInput } from './tracking-store.js';
export { searchRuns, type RunSearch } from './run-search.js';
export { RunArtifacts, checkArtifactPath, type ArtifactFile } from './run-artifacts.js';
export { parseSearchFilter, parseOrderBy, type Comparison, type OrderBy } from './search-filter.js';
export * from './types.js';
