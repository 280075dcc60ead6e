import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { BerthError } from '../../errors/index.js';
import type { ServingStatus } from '../../inference/index.js';
import {
  AliasHistoryEntry,
  AliasMove,
  AliasView,
  DeleteModelResult,
  ModelCard,
  ModelView,
  Tags,
  VersionComparison,
  VersionStatus,
  VersionView,
  type Registry,
} from '../../registry/index.js';
import { ModelParams, VersionParams, errorResponses } from '../schemas.js';

export interface RegistryRoutesOptions {
  registry: Registry;
  /** Folder for spooling uploads before the registry checks them. */
  tmpDir: string;
  maxModelBytes: number;
  maxCardBytes: number;
  /** What this server has loaded of a model, for GET /v1/models/{name}. */
  servingStatus?: (name: string) => ServingStatus[];
}

const AuditEventSchema = Type.Object({
  id: Type.Integer(),
  time: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  target_type: Type.String(),
  target: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  before: Type.Unknown(),
  after: Type.Unknown(),
});

const TagKeyParams = Type.Object({ name: Type.String(), key: Type.String() });
const VersionTagKeyParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }), key: Type.String() });
const AliasParams = Type.Object({ name: Type.String(), alias: Type.String() });

interface UploadedVersion {
  file: string | undefined;
  fields: Record<string, string>;
}

/**
 * Reads a multipart registration: the ONNX file (field `onnx`, or `file`) is spooled to a temp file;
 * the other parts are small text fields (`card` may also come as a file part).
 */
async function readUpload(request: FastifyRequest, opts: RegistryRoutesOptions): Promise<UploadedVersion> {
  if (!request.isMultipart()) {
    throw new BerthError('unsupported_media_type', 'register a version with multipart/form-data: a file part `onnx` and optional fields card, description, source_run, source_dataset, tags');
  }
  await mkdir(opts.tmpDir, { recursive: true });
  const upload: UploadedVersion = { file: undefined, fields: {} };
  try {
    for await (const part of request.parts({ limits: { fileSize: opts.maxModelBytes, fieldSize: opts.maxCardBytes, files: 2, fields: 20 } })) {
      if (part.type === 'file') {
        if (part.fieldname === 'onnx' || part.fieldname === 'file') {
          if (upload.file) throw new BerthError('invalid_input', 'send exactly one ONNX file part');
          const target = path.join(opts.tmpDir, `${randomUUID()}.onnx`);
          upload.file = target;
          await pipeline(part.file, createWriteStream(target));
          if (part.file.truncated) {
            throw new BerthError('payload_too_large', `ONNX file exceeds ${opts.maxModelBytes} bytes (registry.max_model_bytes)`);
          }
        } else if (part.fieldname === 'card') {
          const buffer = await part.toBuffer();
          upload.fields['card'] = buffer.toString('utf8');
        } else {
          throw new BerthError('invalid_input', `unexpected file part '${part.fieldname}': expected 'onnx' (and optionally 'card')`);
        }
      } else {
        if (part.fieldnameTruncated || part.valueTruncated) throw new BerthError('payload_too_large', `field '${part.fieldname}' is too large`);
        upload.fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    if (upload.file) await rm(upload.file, { force: true });
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new BerthError('payload_too_large', `ONNX file exceeds ${opts.maxModelBytes} bytes (registry.max_model_bytes)`);
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new BerthError('invalid_input', (err as Error).message);
    throw err;
  }
  return upload;
}

const KNOWN_FIELDS = new Set(['card', 'description', 'source_run', 'source_dataset', 'tags']);

export async function registryRoutes(fastify: FastifyInstance, opts: RegistryRoutesOptions): Promise<void> {
  // Multipart only where it is read (see app.ts): the plugin adds an onResponse hook to every route it covers.
  await fastify.register(multipart, { limits: { fileSize: opts.maxModelBytes } });
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { registry } = opts;

  app.get('/models', {
    config: { scope: 'read' },
    schema: {
      tags: ['models'],
      summary: 'List models',
      querystring: Type.Object({
        prefix: Type.Optional(Type.String({ maxLength: 128 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        page_token: Type.Optional(Type.String({ maxLength: 128 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ models: Type.Array(ModelView), next_page_token: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, (req) => registry.listModels(req.query));

  app.post('/models', {
    config: { scope: 'write' },
    schema: {
      tags: ['models'],
      summary: 'Create a model',
      body: Type.Object({ name: Type.String(), description: Type.Optional(Type.String({ maxLength: 20_000 })), tags: Type.Optional(Tags) }, { additionalProperties: false }),
      response: { 201: ModelView, ...errorResponses },
    },
  }, async (req, reply) => reply.status(201).send(await registry.createModel(req.body, req.principal.actor)));

  app.get('/models/:name', {
    config: { scope: 'read' },
    schema: {
      tags: ['models'],
      summary: 'Get a model: aliases, versions, the card of the version served by default, and what this server has loaded',
      params: ModelParams,
      response: {
        200: Type.Intersect([
          ModelView,
          Type.Object({
            versions: Type.Array(Type.Object({ version: Type.Integer(), status: VersionStatus, aliases: Type.Array(Type.String()), created_at: Type.String() })),
            default_version: Type.Union([Type.Integer(), Type.Null()]),
            card: Type.Union([ModelCard, Type.Null()]),
            serving: Type.Array(Type.Unknown()),
          }),
        ]),
        ...errorResponses,
      },
    },
  }, async (req) => {
    const name = req.params.name;
    const [model, versions] = await Promise.all([registry.getModel(name), registry.listVersions(name)]);
    const target = await registry.resolveVersion(name).catch(() => undefined);
    return {
      ...model,
      versions: versions.map((v) => ({ version: v.version, status: v.status, aliases: v.aliases, created_at: v.created_at })),
      default_version: target?.version ?? null,
      card: target?.card ?? null,
      serving: opts.servingStatus?.(name) ?? [],
    };
  });

  app.patch('/models/:name', {
    config: { scope: 'write' },
    schema: {
      tags: ['models'],
      summary: 'Update a model description',
      params: ModelParams,
      body: Type.Object({ description: Type.Optional(Type.String({ maxLength: 20_000 })) }, { additionalProperties: false }),
      response: { 200: ModelView, ...errorResponses },
    },
  }, (req) => registry.updateModel(req.params.name, req.body, req.principal.actor));

  app.delete('/models/:name', {
    config: { scope: 'admin' },
    schema: {
      tags: ['models'],
      summary: 'Delete a model with all its versions (needs force=true)',
      params: ModelParams,
      querystring: Type.Object({ force: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
      response: { 200: DeleteModelResult, ...errorResponses },
    },
  }, (req) => registry.deleteModel(req.params.name, { force: req.query.force === true }, req.principal.actor));

  app.put('/models/:name/tags', {
    config: { scope: 'write' },
    schema: { tags: ['models'], summary: 'Set model tags (merge)', params: ModelParams, body: Type.Object({ tags: Tags }, { additionalProperties: false }), response: { 200: ModelView, ...errorResponses } },
  }, (req) => registry.setModelTags(req.params.name, req.body.tags, req.principal.actor));

  app.delete('/models/:name/tags/:key', {
    config: { scope: 'write' },
    schema: { tags: ['models'], summary: 'Delete a model tag', params: TagKeyParams, response: { 200: ModelView, ...errorResponses } },
  }, (req) => registry.deleteModelTags(req.params.name, [req.params.key], req.principal.actor));

  // --- versions ---

  app.get('/models/:name/versions', {
    config: { scope: 'read' },
    schema: {
      tags: ['versions'],
      summary: 'List versions, newest first',
      params: ModelParams,
      querystring: Type.Object({ status: Type.Optional(VersionStatus) }, { additionalProperties: false }),
      response: { 200: Type.Object({ versions: Type.Array(VersionView) }), ...errorResponses },
    },
  }, async (req) => ({ versions: await registry.listVersions(req.params.name, { status: req.query.status }) }));

  app.post('/models/:name/versions', {
    config: { scope: 'write' },
    bodyLimit: opts.maxModelBytes + opts.maxCardBytes + 1024 * 1024,
    schema: {
      tags: ['versions'],
      summary: 'Register a version (multipart: file part `onnx`; fields card, description, source_run, source_dataset, tags as JSON)',
      description: 'The model is created on its first version. The file is loaded by onnxruntime and the card checked against the graph before anything is stored.',
      params: ModelParams,
      consumes: ['multipart/form-data'],
      response: { 201: VersionView, 415: Type.Ref('ErrorResponse'), ...errorResponses },
    },
  }, async (req, reply) => {
    const upload = await readUpload(req, opts);
    try {
      if (!upload.file) throw new BerthError('invalid_input', "missing file part 'onnx' with the ONNX model");
      for (const field of Object.keys(upload.fields)) {
        if (!KNOWN_FIELDS.has(field)) throw new BerthError('invalid_input', `unknown field '${field}': expected card, description, source_run, source_dataset or tags`);
      }
      let tags: Record<string, string> | undefined;
      if (upload.fields['tags'] !== undefined) {
        try {
          tags = JSON.parse(upload.fields['tags']) as Record<string, string>;
        } catch {
          throw new BerthError('invalid_input', `field 'tags': expected a JSON object of strings, got ${upload.fields['tags'].slice(0, 80)}`);
        }
      }
      const version = await registry.registerVersion(
        {
          model: req.params.name,
          file: upload.file,
          card: upload.fields['card'],
          description: upload.fields['description'],
          source_run: upload.fields['source_run'],
          source_dataset: upload.fields['source_dataset'],
          tags,
        },
        req.principal.actor,
      );
      return reply.status(201).send(version);
    } finally {
      if (upload.file) await rm(upload.file, { force: true });
    }
  });

  app.get('/models/:name/versions/:version', {
    config: { scope: 'read' },
    schema: { tags: ['versions'], summary: 'Get a version', params: VersionParams, response: { 200: VersionView, ...errorResponses } },
  }, (req) => registry.getVersion(req.params.name, req.params.version));

  app.get('/models/:name/versions/:version/artifact', {
    config: { scope: 'read' },
    schema: { tags: ['versions'], summary: 'Download the ONNX file (verified against its sha256)', params: VersionParams, produces: ['application/octet-stream'] },
  }, async (req, reply) => {
    const { version, bytes } = await registry.readArtifact(req.params.name, req.params.version);
    return reply
      .type('application/octet-stream')
      .header('content-disposition', `attachment; filename="${version.model}-v${version.version}.onnx"`)
      .header('x-berth-sha256', version.sha256)
      .send(bytes);
  });

  app.patch('/models/:name/versions/:version', {
    config: { scope: 'write' },
    schema: {
      tags: ['versions'],
      summary: 'Update description or status (ready | archived)',
      params: VersionParams,
      body: Type.Object({ description: Type.Optional(Type.String({ maxLength: 20_000 })), status: Type.Optional(VersionStatus) }, { additionalProperties: false }),
      response: { 200: VersionView, ...errorResponses },
    },
  }, (req) => registry.updateVersion(req.params.name, req.params.version, req.body, req.principal.actor));

  app.delete('/models/:name/versions/:version', {
    config: { scope: 'admin' },
    schema: {
      tags: ['versions'],
      summary: 'Delete a version no alias points to',
      params: VersionParams,
      response: { 200: Type.Object({ model: Type.String(), version: Type.Integer(), removed_artifact: Type.Boolean() }), ...errorResponses },
    },
  }, (req) => registry.deleteVersion(req.params.name, req.params.version, req.principal.actor));

  app.put('/models/:name/versions/:version/tags', {
    config: { scope: 'write' },
    schema: { tags: ['versions'], summary: 'Set version tags (merge)', params: VersionParams, body: Type.Object({ tags: Tags }, { additionalProperties: false }), response: { 200: VersionView, ...errorResponses } },
  }, (req) => registry.setVersionTags(req.params.name, req.params.version, req.body.tags, req.principal.actor));

  app.delete('/models/:name/versions/:version/tags/:key', {
    config: { scope: 'write' },
    schema: { tags: ['versions'], summary: 'Delete a version tag', params: VersionTagKeyParams, response: { 200: VersionView, ...errorResponses } },
  }, (req) => registry.deleteVersionTags(req.params.name, req.params.version, [req.params.key], req.principal.actor));

  app.get('/models/:name/compare', {
    config: { scope: 'read' },
    schema: {
      tags: ['versions'],
      summary: 'Compare two versions: card changes, metric deltas, sizes',
      params: ModelParams,
      querystring: Type.Object({ a: Type.Integer({ minimum: 1 }), b: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      response: { 200: VersionComparison, ...errorResponses },
    },
  }, (req) => registry.compare(req.params.name, req.query.a, req.query.b));

  // --- aliases ---

  app.get('/models/:name/aliases', {
    config: { scope: 'read' },
    schema: { tags: ['aliases'], summary: 'List aliases', params: ModelParams, response: { 200: Type.Object({ aliases: Type.Array(AliasView) }), ...errorResponses } },
  }, async (req) => ({ aliases: await registry.listAliases(req.params.name) }));

  app.get('/models/:name/aliases/history', {
    config: { scope: 'read' },
    schema: {
      tags: ['aliases'],
      summary: 'Alias history, newest first',
      params: ModelParams,
      querystring: Type.Object({ alias: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ history: Type.Array(AliasHistoryEntry) }), ...errorResponses },
    },
  }, async (req) => ({ history: await registry.aliasHistory(req.params.name, req.query.alias) }));

  app.put('/models/:name/aliases/:alias', {
    config: { scope: 'write' },
    schema: {
      tags: ['aliases'],
      summary: 'Point an alias at a version',
      params: AliasParams,
      body: Type.Object({ version: Type.Integer({ minimum: 1 }), reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
      response: { 200: AliasMove, ...errorResponses },
    },
  }, (req) => registry.setAlias(req.params.name, req.params.alias, req.body.version, req.principal.actor, req.body.reason));

  app.delete('/models/:name/aliases/:alias', {
    config: { scope: 'write' },
    schema: { tags: ['aliases'], summary: 'Delete an alias', params: AliasParams, response: { 200: AliasMove, ...errorResponses } },
  }, (req) => registry.deleteAlias(req.params.name, req.params.alias, req.principal.actor));

  app.post('/models/:name/promote', {
    config: { scope: 'write' },
    schema: {
      tags: ['aliases'],
      summary: 'Move an alias (default production) to a version',
      params: ModelParams,
      body: Type.Object({ version: Type.Integer({ minimum: 1 }), alias: Type.Optional(Type.String()), reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
      response: { 200: AliasMove, ...errorResponses },
    },
  }, (req) => registry.promote(req.params.name, req.body.version, req.principal.actor, { alias: req.body.alias, reason: req.body.reason }));

  app.post('/models/:name/rollback', {
    config: { scope: 'write' },
    schema: {
      tags: ['aliases'],
      summary: 'Move an alias (default production) back to its previous target',
      params: ModelParams,
      body: Type.Optional(Type.Object({ alias: Type.Optional(Type.String()), reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false })),
      response: { 200: AliasMove, ...errorResponses },
    },
  }, (req) => registry.rollback(req.params.name, req.principal.actor, { alias: req.body?.alias, reason: req.body?.reason }));

  // --- audit ---

  app.get('/audit', {
    config: { scope: 'read' },
    schema: {
      tags: ['audit'],
      summary: 'Audit events, newest first (keyset paging with before_id)',
      querystring: Type.Object({
        model: Type.Optional(Type.String()),
        action: Type.Optional(Type.String({ maxLength: 64 })),
        actor: Type.Optional(Type.String({ maxLength: 256 })),
        before_id: Type.Optional(Type.Integer({ minimum: 1 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ events: Type.Array(AuditEventSchema) }), ...errorResponses },
    },
  }, async (req) => ({ events: await registry.audit(req.query) }));

}
