import { readFileSync } from 'node:fs';

/** Berth's own version, from package.json (two levels up from both src/config and dist/config). */
export const BERTH_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
