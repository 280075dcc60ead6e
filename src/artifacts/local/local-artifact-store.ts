import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../errors/index.js';
import { artifactUri, SHA256_HEX, type ArtifactStore, type StoredArtifact } from '../artifact-store.js';

/**
 * Blobs in a folder: `<root>/sha256/<first two hex>/<hex>`. Writes go to `<root>/tmp` and are renamed
 * into place (same filesystem), so a reader never sees half a file.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local';
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = root;
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new BerthError('invalid_input', `artifact address must be 64 lowercase hex digits, got '${sha256}'`);
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  private async tempPath(): Promise<string> {
    const dir = path.join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return path.join(dir, `${randomUUID()}.part`);
  }

  private async commit(temp: string, sha256: string, size: number): Promise<StoredArtifact> {
    const target = this.pathOf(sha256);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(temp, target);
    return { sha256, size, uri: artifactUri(sha256) };
  }

  async putFile(file: string, expectedSha256?: string): Promise<StoredArtifact> {
    const temp = await this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(file), hashing, createWriteStream(temp, { flags: 'wx' }));
      const sha256 = hash.digest('hex');
      if (expectedSha256 && sha256 !== expectedSha256) {
        throw new BerthError('checksum_mismatch', `file ${file} changed while it was being stored: expected sha256 ${expectedSha256}, got ${sha256}`);
      }
      return await this.commit(temp, sha256, size);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async putBuffer(data: Uint8Array): Promise<StoredArtifact> {
    const temp = await this.tempPath();
    const sha256 = createHash('sha256').update(data).digest('hex');
    try {
      const out = createWriteStream(temp, { flags: 'wx' });
      await new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        out.end(data, resolve);
      });
      return await this.commit(temp, sha256, data.byteLength);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async read(sha256: string): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BerthError('not_found', `artifact sha256:${sha256} is missing from the artifact store at ${this.root}`);
      throw err;
    }
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== sha256) throw mismatch(sha256, actual, this.root);
    return data;
  }

  createReadStream(sha256: string): Readable {
    const hash = createHash('sha256');
    const root = this.root;
    const verify = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        const actual = hash.digest('hex');
        done(actual === sha256 ? null : mismatch(sha256, actual, root));
      },
    });
    const source = createReadStream(this.pathOf(sha256));
    source.on('error', (err: NodeJS.ErrnoException) =>
      verify.destroy(err.code === 'ENOENT' ? new BerthError('not_found', `artifact sha256:${sha256} is missing from the artifact store`) : err),
    );
    return source.pipe(verify);
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    try {
      const info = await stat(this.pathOf(sha256));
      return { size: info.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }
}

function mismatch(expected: string, actual: string, root: string): BerthError {
  return new BerthError(
    'checksum_mismatch',
    `artifact sha256:${expected} is corrupt in the artifact store at ${root}: its content hashes to ${actual}. Refusing to load it.`,
    { expected, actual },
  );
}
