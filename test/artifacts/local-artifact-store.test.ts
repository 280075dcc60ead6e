import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/artifacts/index.js';
import { BerthError } from '../../src/errors/index.js';
import { fixtureModel } from '../helpers/targets.js';

const dirs: string[] = [];
function tempDir(prefix = 'berth-artifacts-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function blobPath(root: string, hex: string): string {
  return path.join(root, 'sha256', hex.slice(0, 2), hex);
}

/** Every blob under `<root>/sha256`, as `<2 hex>/<hex>`. */
function blobs(root: string): string[] {
  const base = path.join(root, 'sha256');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .flatMap((dir) => readdirSync(path.join(base, dir)).map((name) => `${dir}/${name}`))
    .sort();
}

function tempFiles(root: string): string[] {
  const dir = path.join(root, 'tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function consume(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The BerthError a call (sync or async, a promise or a stream) ends with. */
async function refusal(run: () => unknown): Promise<BerthError> {
  try {
    const result = run();
    if (result && typeof (result as Readable).pipe === 'function') await consume(result as Readable);
    else await result;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected a refusal, but the call succeeded');
}

const V1 = fixtureModel('breast_cancer_v1.onnx');

describe('LocalArtifactStore', () => {
  let root: string;
  let store: LocalArtifactStore;

  beforeEach(() => {
    // The root does not exist yet: the store creates what it needs.
    root = path.join(tempDir(), 'artifacts');
    store = new LocalArtifactStore(root);
  });

  it('putBuffer returns the sha256, size and uri and stores the blob at <root>/sha256/<2 hex>/<hex>', async () => {
    const data = Buffer.from('hello, berth\n');
    const stored = await store.putBuffer(data);
    const hex = sha256(data);
    expect(stored).toEqual({ sha256: hex, size: data.length, uri: `artifacts://sha256/${hex}` });
    expect(readFileSync(blobPath(root, hex)).equals(data)).toBe(true);
    expect(blobs(root)).toEqual([`${hex.slice(0, 2)}/${hex}`]);
    expect(tempFiles(root)).toEqual([]);
    expect(store.kind).toBe('local');
    expect(store.location).toBe(root);
  });

  it('putBuffer hashes only the bytes of a view, not its whole backing buffer', async () => {
    const backing = randomBytes(1000);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 100, 300);
    const stored = await store.putBuffer(view);
    expect(stored.size).toBe(300);
    expect(stored.sha256).toBe(sha256(backing.subarray(100, 400)));
    expect((await store.read(stored.sha256)).equals(backing.subarray(100, 400))).toBe(true);
  });

  it('stores an empty blob', async () => {
    const stored = await store.putBuffer(new Uint8Array(0));
    expect(stored.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(stored.size).toBe(0);
    expect((await store.read(stored.sha256)).length).toBe(0);
    expect(await store.stat(stored.sha256)).toEqual({ size: 0 });
  });

  it('putFile returns the sha256 and size of the file and copies it', async () => {
    const bytes = readFileSync(V1);
    const stored = await store.putFile(V1);
    expect(stored.sha256).toBe(sha256(bytes));
    expect(stored.size).toBe(statSync(V1).size);
    expect(stored.uri).toBe(`artifacts://sha256/${sha256(bytes)}`);
    expect(readFileSync(blobPath(root, stored.sha256)).equals(bytes)).toBe(true);
    // A copy, not a move.
    expect(existsSync(V1)).toBe(true);
    expect(tempFiles(root)).toEqual([]);
  });

  it('putFile with the right expectedSha256 stores the file', async () => {
    const hex = sha256(readFileSync(V1));
    const stored = await store.putFile(V1, hex);
    expect(stored.sha256).toBe(hex);
    expect(blobs(root)).toEqual([`${hex.slice(0, 2)}/${hex}`]);
  });

  it('putFile streams a file larger than one read chunk', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const file = path.join(tempDir(), 'big.bin');
    writeFileSync(file, data);
    const stored = await store.putFile(file);
    expect(stored).toMatchObject({ sha256: sha256(data), size: data.length });
    expect((await consume(store.createReadStream(stored.sha256))).equals(data)).toBe(true);
  });

  it('the same content stored twice (buffer and file) is one blob', async () => {
    const bytes = readFileSync(V1);
    const a = await store.putBuffer(bytes);
    const b = await store.putFile(V1);
    const c = await store.putBuffer(Buffer.from(bytes));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(blobs(root)).toEqual([`${a.sha256.slice(0, 2)}/${a.sha256}`]);
    expect(tempFiles(root)).toEqual([]);
  });

  it('different contents are different blobs, spread by their first two hex digits', async () => {
    const stored = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putBuffer(Buffer.from(`blob ${i}`))));
    const expected = stored.map((s) => `${s.sha256.slice(0, 2)}/${s.sha256}`).sort();
    expect(new Set(expected).size).toBe(20);
    expect(blobs(root)).toEqual(expected);
  });

  it('putFile with a wrong expectedSha256 refuses and leaves no blob and no temp file', async () => {
    const wrong = 'a'.repeat(64);
    const actual = sha256(readFileSync(V1));
    const err = await refusal(() => store.putFile(V1, wrong));
    expect(err.code).toBe('checksum_mismatch');
    expect(err.message).toContain(`expected sha256 ${wrong}, got ${actual}`);
    expect(blobs(root)).toEqual([]);
    expect(await store.stat(actual)).toBeUndefined();
    expect(await store.stat(wrong)).toBeUndefined();
    expect(existsSync(path.join(root, 'tmp'))).toBe(true);
    expect(tempFiles(root)).toEqual([]);
  });

  it('putFile of a missing file fails and leaves no temp file', async () => {
    await expect(store.putFile(path.join(tempDir(), 'nope.onnx'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(tempFiles(root)).toEqual([]);
    expect(blobs(root)).toEqual([]);
  });

  it('read returns the verified content; stat gives the size', async () => {
    const data = randomBytes(5000);
    const { sha256: hex } = await store.putBuffer(data);
    expect((await store.read(hex)).equals(data)).toBe(true);
    expect(await store.stat(hex)).toEqual({ size: 5000 });
  });

  it('read refuses a blob corrupted on disk with checksum_mismatch', async () => {
    const data = Buffer.from('the real content');
    const { sha256: hex } = await store.putBuffer(data);
    const tampered = Buffer.from('the fake content');
    writeFileSync(blobPath(root, hex), tampered);
    const err = await refusal(() => store.read(hex));
    expect(err.code).toBe('checksum_mismatch');
    expect(err.status).toBe(500);
    expect(err.details).toEqual({ expected: hex, actual: sha256(tampered) });
    expect(err.message).toContain(`artifact sha256:${hex} is corrupt`);
    expect(err.message).toContain(root);
  });

  it('a truncated blob is corrupt too', async () => {
    const data = randomBytes(4096);
    const { sha256: hex } = await store.putBuffer(data);
    writeFileSync(blobPath(root, hex), data.subarray(0, 4095));
    expect((await refusal(() => store.read(hex))).code).toBe('checksum_mismatch');
    expect((await refusal(() => store.createReadStream(hex))).code).toBe('checksum_mismatch');
  });

  it('read of a missing blob is not_found; stat is undefined', async () => {
    const hex = sha256(Buffer.from('never stored'));
    const err = await refusal(() => store.read(hex));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain(hex);
    expect(await store.stat(hex)).toBeUndefined();
  });

  it('createReadStream streams the content', async () => {
    const data = randomBytes(200_000);
    const { sha256: hex } = await store.putBuffer(data);
    const streamed = await consume(store.createReadStream(hex));
    expect(streamed.equals(data)).toBe(true);
  });

  it('createReadStream fails with checksum_mismatch on a corrupted blob', async () => {
    const data = randomBytes(200_000);
    const { sha256: hex } = await store.putBuffer(data);
    const corrupt = Buffer.from(data);
    corrupt[123_456] = corrupt[123_456]! ^ 0xff;
    writeFileSync(blobPath(root, hex), corrupt);
    const err = await refusal(() => store.createReadStream(hex));
    expect(err.code).toBe('checksum_mismatch');
    expect(err.details).toEqual({ expected: hex, actual: sha256(corrupt) });
  });

  it('createReadStream of a missing blob fails with not_found', async () => {
    const err = await refusal(() => store.createReadStream('0'.repeat(64)));
    expect(err.code).toBe('not_found');
  });

  it('refuses addresses that are not 64 lowercase hex digits', async () => {
    const good = sha256(Buffer.from('x'));
    const bad = [good.toUpperCase(), good.slice(0, 63), `${good}0`, '', 'g'.repeat(64), `../${good.slice(3)}`, `${good.slice(0, 62)}/x`, '../../../../etc/passwd'];
    for (const address of bad) {
      for (const call of [() => store.read(address), () => store.stat(address), () => store.delete(address), () => store.createReadStream(address)]) {
        const err = await refusal(call);
        expect(err.code, `address ${JSON.stringify(address)}`).toBe('invalid_input');
        expect(err.message).toContain('64 lowercase hex digits');
      }
    }
    expect(blobs(root)).toEqual([]);
    expect(tempFiles(root)).toEqual([]);
  });

  it('delete removes the blob and is idempotent', async () => {
    const keep = await store.putBuffer(Buffer.from('keep'));
    const gone = await store.putBuffer(Buffer.from('gone'));
    await store.delete(gone.sha256);
    expect(existsSync(blobPath(root, gone.sha256))).toBe(false);
    expect(await store.stat(gone.sha256)).toBeUndefined();
    expect((await refusal(() => store.read(gone.sha256))).code).toBe('not_found');
    await store.delete(gone.sha256);
    expect(blobs(root)).toEqual([`${keep.sha256.slice(0, 2)}/${keep.sha256}`]);
    expect((await store.read(keep.sha256)).toString()).toBe('keep');
  });

  it('a second store on the same folder sees the same blobs', async () => {
    const { sha256: hex } = await store.putBuffer(Buffer.from('shared'));
    const other = new LocalArtifactStore(root);
    expect((await other.read(hex)).toString()).toBe('shared');
  });

  it('property: any bytes (up to 64 KiB) round-trip through putBuffer and read with the right sha256', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 * 1024 }), async (bytes) => {
        const stored = await store.putBuffer(bytes);
        const hex = sha256(bytes);
        expect(stored.sha256).toBe(hex);
        expect(stored.size).toBe(bytes.length);
        const back = await store.read(hex);
        expect(back.equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))).toBe(true);
        expect(await store.stat(hex)).toEqual({ size: bytes.length });
        expect(readFileSync(blobPath(root, hex)).length).toBe(bytes.length);
      }),
      { numRuns: 100 },
    );
    expect(tempFiles(root)).toEqual([]);
  });
});
