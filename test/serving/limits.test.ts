import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { storeTargets } from '../helpers/targets.js';

const target = storeTargets()[0]!;
const dirs: string[] = [];
const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serverWith(yaml: string, env: Record<string, string> = {}): Promise<TestServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-conf-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'berth.yaml'), yaml);
  const t = await startTestServer(target, { BERTH_CONFIG: path.join(dir, 'berth.yaml'), ...env });
  servers.push(t);
  return t;
}

describe('CORS, rate limits and body limits', () => {
  it('answers CORS preflights only for configured origins, and not at all by default', async () => {
    const t = await serverWith('server:\n  cors_origins: ["https://app.example"]\n');
    const preflight = (origin: string, url = t.url) =>
      fetch(`${url}/v1/models`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    expect((await preflight('https://app.example')).headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const plain = await serverWith('log:\n  level: silent\n');
    const res = await fetch(`${plain.url}/v1/models`, { headers: { origin: 'https://app.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits requests per key (or address) per minute with 429 in the error format; health stays open', async () => {
    const t = await serverWith('log:\n  level: silent\n', { BERTH_RATE_LIMIT_PER_MINUTE: '5' });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await fetch(`${t.url}/v1/models`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const body = (await last!.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(last!.headers.get('retry-after')).not.toBeNull();
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    // another key gets its own budget
    const key = await t.berth.keys.create({ name: 'other', scopes: ['read'] }, 'test');
    expect((await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(200);
  });

  it('refuses bodies over server.body_limit_bytes with 413', async () => {
    const t = await serverWith('log:\n  level: silent\n', { BERTH_BODY_LIMIT_BYTES: '4096' });
    const res = await fetch(`${t.url}/v1/models/x/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { pad: 'x'.repeat(10_000) } }) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});
