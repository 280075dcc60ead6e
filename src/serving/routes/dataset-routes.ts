import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { DatasetRegistry } from '../../datasets/index.js';
import { BerthError } from '../../errors/index.js';
import { errorResponses } from '../schemas.js';

const NameParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });

/** Dataset versions (upload, profile, lineage) and the lineage of model versions. */
export async function datasetRoutes(fastify: FastifyInstance, opts: { datasets: DatasetRegistry; tmpDir: string; maxBytes: number }): Promise<void> {
  // Multipart only where it is read (see app.ts): the plugin adds an onResponse hook to every route it covers.
  await fastify.register(multipart, { limits: { fileSize: opts.maxBytes } });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { datasets } = opts;

  app.get('/datasets', { config: { scope: 'read' }, schema: { tags: ['datasets'], summary: 'List datasets' } }, async () => ({ datasets: await datasets.list() }));

  app.post('/datasets/:name/versions', {
    config: { scope: 'write' },
    bodyLimit: opts.maxBytes + 1024 * 1024,
    schema: { tags: ['datasets'], summary: 'Register a dataset version (multipart: file part `file` with a CSV, optional field `description`)', params: NameParams, consumes: ['multipart/form-data'], response: { 201: Type.Unknown(), ...errorResponses } },
  }, async (req, reply) => {
    if (!req.isMultipart()) throw new BerthError('unsupported_media_type', 'register a dataset with multipart/form-data: a file part `file` (CSV) and an optional field `description`');
    await mkdir(opts.tmpDir, { recursive: true });
    let file: string | undefined;
    let description: string | undefined;
    try {
      for await (const part of req.parts({ limits: { fileSize: opts.maxBytes, files: 1, fields: 2 } })) {
        if (part.type === 'file') {
          if (part.fieldname !== 'file') throw new BerthError('invalid_input', `unexpected file part '${part.fieldname}': expected 'file'`);
          file = path.join(opts.tmpDir, `${randomUUID()}.csv`);
          await pipeline(part.file, createWriteStream(file));
          if (part.file.truncated) throw new BerthError('payload_too_large', `dataset file exceeds ${opts.maxBytes} bytes (registry.max_dataset_bytes)`);
        } else if (part.fieldname === 'description') {
          description = String(part.value);
        } else {
          throw new BerthError('invalid_input', `unknown field '${part.fieldname}': expected 'file' and optionally 'description'`);
        }
      }
      if (!file) throw new BerthError('invalid_input', "missing file part 'file' with the CSV");
      return reply.status(201).send(await datasets.register({ name: req.params.name, file, description }, req.principal.actor));
    } finally {
      if (file) await rm(file, { force: true });
    }
  });

  app.get('/datasets/:name/versions', { config: { scope: 'read' }, schema: { tags: ['datasets'], summary: 'Versions of a dataset, newest first', params: NameParams } }, async (req) => ({ versions: await datasets.versions(req.params.name) }));
  app.get('/datasets/:name/versions/:version', { config: { scope: 'read' }, schema: { tags: ['datasets'], summary: 'A dataset version with its column types and profile', params: VersionParams } }, (req) => datasets.get(req.params.name, req.params.version));
  app.get('/datasets/:name/versions/:version/lineage', { config: { scope: 'read' }, schema: { tags: ['datasets'], summary: 'Runs that used this dataset version and model versions trained on it', params: VersionParams } }, (req) =>
    datasets.lineage(req.params.name, req.params.version),
  );
  app.get('/models/:name/versions/:version/lineage', { config: { scope: 'read' }, schema: { tags: ['versions'], summary: 'The run a model version came from and the dataset versions it was trained on', params: VersionParams } }, (req) =>
    datasets.modelLineage(req.params.name, req.params.version),
  );
}
