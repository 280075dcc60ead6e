import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { FastifyRequest } from 'fastify';
import { BerthError, describeValue } from '../../errors/index.js';
import type { ImageUploads } from '../../inference/index.js';
import { isPlainObject } from '../../validation/index.js';

/** At most this many image files and other fields in one multipart predict request. */
const MAX_FILES = 16;
const MAX_FIELDS = 4;

export interface ImageParts {
  /** The instance: other inputs from the JSON field `inputs`, and each uploaded image's input name. */
  instance: Record<string, unknown>;
  uploads: ImageUploads;
}

/** A JSON.parse reviver with the guard Fastify's JSON bodies get: no `__proto__` keys, no `constructor.prototype`. */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)) throw new Error('prototype key');
  return value;
}

/**
 * Reads a multipart predict body: image files named after the model's inputs, and the other inputs as JSON
 * in a field `inputs`. Busboy directly rather than @fastify/multipart, whose plugin would add an async
 * onResponse hook to every predict request (see app.ts). Refuses files over `maxImageBytes` (413), too many
 * parts (413), unexpected fields, names that would reach Object.prototype and malformed bodies (400).
 */
export function readImageParts(request: FastifyRequest, maxImageBytes: number): Promise<ImageParts> {
  return new Promise((resolve, reject) => {
    const raw = request.raw;
    const uploads: ImageUploads = {};
    let instance: Record<string, unknown> = {};
    const files: Array<Promise<void>> = [];
    let settled = false;
    let busboy: BusboyInstance;
    const fail = (err: BerthError): void => {
      if (settled) return;
      settled = true;
      raw.unpipe(busboy);
      raw.resume(); // read the rest of the body away so the connection stays usable
      reject(err);
    };
    const unreadable = (err: Error): void => fail(new BerthError('invalid_input', `multipart body could not be read: ${err.message}`));
    try {
      busboy = new Busboy({ headers: raw.headers as BusboyHeaders, limits: { fileSize: maxImageBytes, files: MAX_FILES, fields: MAX_FIELDS, parts: MAX_FILES + MAX_FIELDS } });
    } catch (err) {
      reject(new BerthError('invalid_input', `multipart body: ${(err as Error).message}`));
      return;
    }
    busboy.on('file', (name, stream) => {
      if (name in Object.prototype) {
        stream.on('error', () => undefined);
        stream.resume();
        fail(new BerthError('invalid_input', `file part name '${name}' is not allowed`));
        return;
      }
      const chunks: Buffer[] = [];
      // A part cut short (a truncated body) errors on its stream; unheard, that error would end the process.
      stream.on('error', unreadable);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new BerthError('payload_too_large', `file '${name}' is larger than ${maxImageBytes} bytes (inference.max_image_bytes)`)));
      files.push(
        new Promise<void>((done) =>
          stream.on('end', () => {
            uploads[name] = Buffer.concat(chunks);
            done();
          }),
        ),
      );
    });
    busboy.on('field', (name, value) => {
      if (name !== 'inputs') {
        fail(new BerthError('invalid_input', `unexpected field '${name}': send image files named after the model's inputs, and other inputs as JSON in a field 'inputs'`));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(value, refusePrototypeKeys);
      } catch {
        parsed = undefined;
      }
      if (!isPlainObject(parsed)) {
        fail(new BerthError('invalid_input', `field 'inputs' must be a JSON object naming the other inputs, got ${describeValue(value)}`));
        return;
      }
      instance = parsed;
    });
    busboy.on('filesLimit', () => fail(new BerthError('payload_too_large', `more than ${MAX_FILES} files in one request`)));
    busboy.on('fieldsLimit', () => fail(new BerthError('payload_too_large', `more than ${MAX_FIELDS} fields in one request`)));
    busboy.on('partsLimit', () => fail(new BerthError('payload_too_large', `more than ${MAX_FILES + MAX_FIELDS} parts in one request`)));
    busboy.on('error', unreadable);
    busboy.on('finish', () => {
      void Promise.all(files).then(() => {
        if (settled) return;
        settled = true;
        for (const name of Object.keys(uploads)) instance[name] ??= null;
        resolve({ instance, uploads });
      });
    });
    raw.on('error', (err) => fail(new BerthError('invalid_input', `request body could not be read: ${err.message}`)));
    // A client that goes away mid-upload: settle, so the request does not wait forever.
    raw.on('close', () => {
      if (raw.readableAborted) fail(new BerthError('invalid_input', 'the request was aborted before its body was complete'));
    });
    raw.pipe(busboy);
  });
}
