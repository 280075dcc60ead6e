export { ApiKeys, SCOPES, allows, type Scope, type Principal, type ApiKeyView } from './api-keys.js';
