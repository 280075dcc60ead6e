import os from 'node:os';
import type { Command } from 'commander';
import { BerthClient, TrackingClient, type BerthApi, type TrackingApi } from '../client/index.js';
import { loadConfig, type LoadedConfig } from '../config/index.js';
import { openBerth, type Berth } from '../context/index.js';
import { makeOutput, type Output } from './output.js';

export interface GlobalOptions {
  config?: string;
  home?: string;
  url?: string;
  apiKey?: string;
  json?: boolean;
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function output(command: Command): Output {
  return makeOutput(globals(command).json === true);
}

export function loadCliConfig(opts: GlobalOptions, flags: Record<string, string | number | undefined> = {}): LoadedConfig {
  return loadConfig({ configPath: opts.config, flags: { home: opts.home, ...flags } });
}

export function localActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env['USER'] ?? 'unknown';
  }
  return `cli:${user}`;
}

/** Refuses --url for a command that runs in this process on the local store (SQLite home or BERTH_DATABASE_URL). */
export function requireLocal(command: Command, what: string): void {
  if (globals(command).url) throw new Error(`berth ${what} works on the local store (--home / BERTH_HOME or BERTH_DATABASE_URL); drop --url`);
}

/** Opens the project's store directly; closes it when `fn` is done. */
export async function withBerth<T>(command: Command, fn: (berth: Berth) => Promise<T>): Promise<T> {
  const { config } = loadCliConfig(globals(command));
  const berth = await openBerth(config);
  try {
    return await fn(berth);
  } finally {
    await berth.close();
  }
}

/**
 * The registry API a command talks to: a running server's REST API when --url (or BERTH_URL) is given,
 * else the local store, through the very same registry code the server runs.
 */
export async function withApi<T>(command: Command, fn: (api: BerthApi) => Promise<T>): Promise<T> {
  const opts = globals(command);
  const url = opts.url ?? process.env['BERTH_URL'];
  if (url) {
    return fn(new BerthClient({ url, apiKey: opts.apiKey ?? process.env['BERTH_API_KEY'], timeoutMs: 30 * 60_000 }));
  }
  const { localApi } = await import('./local-api.js');
  return withBerth(command, (berth) => fn(localApi(berth, localActor())));
}

/** Like withApi, for the tracking commands. */
export async function withTracking<T>(command: Command, fn: (api: TrackingApi) => Promise<T>): Promise<T> {
  const opts = globals(command);
  const url = opts.url ?? process.env['BERTH_URL'];
  if (url) return fn(new TrackingClient(new BerthClient({ url, apiKey: opts.apiKey ?? process.env['BERTH_API_KEY'] })));
  const { localTrackingApi } = await import('./local-tracking-api.js');
  return withBerth(command, (berth) => fn(localTrackingApi(berth)));
}
