export { BerthClient, type BerthClientOptions } from './berth-client.js';
export type { BerthApi, RegisterVersionRequest } from './api.js';
export { TrackingClient, type TrackingApi, type RunSearchRequest, type GroupSummary } from './tracking-client.js';
