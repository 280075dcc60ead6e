export { DatasetRegistry, type DatasetVersion, type DatasetVersionWithProfile, type DatasetLineage, type ModelLineage } from './dataset-registry.js';
export { profileTable, quantile, type ColumnInfo, type ColumnProfile, type ColumnType, type NumberProfile, type CategoryProfile } from './profile.js';
