import type { Readable } from 'node:stream';

export interface StoredArtifact {
  sha256: string;
  size: number;
  /** Store-independent address, `artifacts://sha256/<hex>`. */
  uri: string;
}

/**
 * Content-addressed blob storage. Implementations: `local/` (a folder). An S3-compatible store implements
 * the same methods; callers never see paths or buckets, only sha256 addresses.
 */
export interface ArtifactStore {
  readonly kind: string;
  /** Where the blobs live, for people (a path or a bucket URL). */
  readonly location: string;
  /**
   * Copies a file into the store, atomically. With `expectedSha256`, a file whose content hashes
   * differently is refused (the caller hashed it earlier; the file changed since).
   */
  putFile(file: string, expectedSha256?: string): Promise<StoredArtifact>;
  putBuffer(data: Uint8Array): Promise<StoredArtifact>;
  /** The whole blob, verified against its sha256; a mismatch throws `checksum_mismatch`. */
  read(sha256: string): Promise<Buffer>;
  /** A stream of the blob that fails with `checksum_mismatch` at its end if the content does not hash right. */
  createReadStream(sha256: string): Readable;
  stat(sha256: string): Promise<{ size: number } | undefined>;
  delete(sha256: string): Promise<void>;
}

export function artifactUri(sha256: string): string {
  return `artifacts://sha256/${sha256}`;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
