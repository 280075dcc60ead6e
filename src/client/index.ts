export { BerthClient, type BerthClientOptions } from './berth-client.js';
export type { BerthApi, RegisterVersionRequest } from './api.js';
