export { buildApp, type AppOptions } from './app.js';
export { startServer, type RunningServer } from './server.js';
export { isLoopback } from './auth.js';
