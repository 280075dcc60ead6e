import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BerthError, describeValue, isBerthError } from '../errors/index.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function valueAt(root: unknown, pointer: string): unknown {
  let current = root;
  for (const part of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Fastify's schema errors, rewritten in Berth's words: which field, what was expected, what came. */
function fromValidation(error: FastifyError, request: FastifyRequest): BerthError {
  const context = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
  const source = context === 'body' ? request.body : context === 'querystring' ? request.query : context === 'params' ? request.params : request.headers;
  const problems = ((error.validation ?? []) as AjvError[]).map((v) => {
    let field = `${context}${v.instancePath.replace(/\//g, '.')}`;
    let expected = v.message ?? v.keyword;
    let got = describeValue(valueAt(source, v.instancePath));
    if (v.keyword === 'required') {
      field = `${field}.${String(v.params['missingProperty'])}`;
      expected = 'a value';
      got = 'nothing (missing)';
    } else if (v.keyword === 'additionalProperties') {
      expected = 'no unknown fields';
      got = `unknown field '${String(v.params['additionalProperty'])}'`;
    } else if (v.keyword === 'type') {
      expected = String(v.params['type']);
    } else if (v.keyword === 'enum' || v.keyword === 'const') {
      expected = `one of ${JSON.stringify(v.params['allowedValues'] ?? v.params['allowedValue'])}`;
    }
    return { field, expected, got };
  });
  const first = problems[0];
  const message = first ? `'${first.field}': expected ${first.expected}, got ${first.got}` : error.message;
  return new BerthError('invalid_input', message, { problems });
}

/** Maps every failure to `{"error": {code, message, details}}` with the right status; logs real faults only. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let berth: BerthError;
    if (isBerthError(error)) berth = error;
    else if (error.validation) berth = fromValidation(error, request);
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'FST_REQ_FILE_TOO_LARGE' || error.statusCode === 413) {
      berth = new BerthError('payload_too_large', `request body is too large: ${error.message}`);
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
      berth = new BerthError('unsupported_media_type', `unsupported content type '${String(request.headers['content-type'] ?? '')}': ${error.message}`);
    } else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error.statusCode === 400 && error instanceof SyntaxError)) {
      berth = new BerthError('invalid_input', `request body is not valid JSON: ${error.message}`);
    } else if (error.statusCode === 429) {
      berth = new BerthError('rate_limited', error.message);
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      berth = new BerthError('invalid_input', error.message);
    } else {
      request.log.error({ reqId: request.id, err: error }, 'unhandled error');
      berth = new BerthError('internal', 'internal error; the server log has the details');
    }
    if (berth.status >= 500 && berth.code !== 'unavailable') request.log.error({ reqId: request.id, err: error }, berth.message);
    const retryAfter = berth.details?.['retry_after_s'];
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(berth.status).type('application/json').send(berth.toJSON());
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(new BerthError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON());
  });
}
