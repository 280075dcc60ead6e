import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';
import sharp from 'sharp';

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

  it('refuses images over inference.max_image_bytes with 413, as base64 or as a multipart part; multipart mistakes with 400 or 413', async () => {
    const t = await serverWith('log:\n  level: silent\ninference:\n  max_image_bytes: 2048\n');
    await t.client.registerVersion({ model: 'cnn', file: fixtureModel('tiny_cnn.onnx'), card: readFileSync(fixtureModel('tiny_cnn.card.json'), 'utf8') });
    const pixels = Buffer.alloc(48 * 48 * 3);
    let seed = 7;
    for (let i = 0; i < pixels.length; i++) pixels[i] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24; // noise: PNG cannot shrink it
    const big = await sharp(pixels, { raw: { width: 48, height: 48, channels: 3 } }).png().toBuffer();
    expect(big.length).toBeGreaterThan(2048);
    const small = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
    const url = `${t.url}/v1/models/cnn/predict`;
    const errorOf = async (res: Response) => ({ status: res.status, error: ((await res.json()) as { error: { code: string; message: string } }).error });
    const multipart = (fill: (form: FormData) => void) => {
      const form = new FormData();
      fill(form);
      return fetch(url, { method: 'POST', body: form });
    };

    const base64 = await errorOf(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { image: big.toString('base64') } }) }));
    expect(base64.status).toBe(413);
    expect(base64.error.code).toBe('payload_too_large');
    expect(base64.error.message).toContain('over the limit of 2048 bytes');

    const part = await errorOf(await multipart((f) => f.set('image', new Blob([big], { type: 'image/png' }), 'big.png')));
    expect(part.status).toBe(413);
    expect(part.error.code).toBe('payload_too_large');

    const stray = await errorOf(await multipart((f) => f.set('colour', 'red')));
    expect(stray.status).toBe(400);
    expect(stray.error.message).toContain("unexpected field 'colour'");

    /** The red image plus an `inputs` field with this text. */
    const withInputs = async (text: string) =>
      errorOf(
        await multipart((f) => {
          f.set('image', new Blob([small], { type: 'image/png' }), 'red.png');
          f.set('inputs', text);
        }),
      );
    const badInputs = await withInputs('{not json');
    expect(badInputs.status).toBe(400);
    expect(badInputs.error.message).toContain("field 'inputs' must be a JSON object");

    const poisoned = await withInputs('{"a": {"__proto__": {"polluted": 1}}}');
    expect(poisoned.status).toBe(400);
    expect(poisoned.error.message).toContain("field 'inputs' must be a JSON object");
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

    const protoFile = await errorOf(await multipart((f) => f.set('constructor', new Blob([small], { type: 'image/png' }), 'red.png')));
    expect(protoFile.status).toBe(400);
    expect(protoFile.error.message).toContain("file part name 'constructor' is not allowed");

    const tooMany = await errorOf(
      await multipart((f) => {
        for (let i = 0; i < 17; i++) f.append(`image${i}`, new Blob([small], { type: 'image/png' }), 'red.png');
      }),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.error.message).toContain('more than 16 files');

    // A body cut off before its closing boundary.
    const cut = `--XX\r\nContent-Disposition: form-data; name="image"; filename="red.png"\r\nContent-Type: image/png\r\n\r\n${small.toString('latin1').slice(0, 40)}`;
    const truncated = await errorOf(await fetch(url, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=XX' }, body: Buffer.from(cut, 'latin1') }));
    expect(truncated.status).toBe(400);
    expect(truncated.error.message).toContain('multipart body could not be read');

    const ok = await multipart((f) => f.set('image', new Blob([small], { type: 'image/png' }), 'red.png'));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { predictions: Array<{ label: string }> }).predictions[0]!.label).toBe('red');
  });
});
