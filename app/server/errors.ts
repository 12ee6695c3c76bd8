import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SessionError } from '../session/SessionError.ts';

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** What the API offers, quoted when a route does not exist. */
export const ROUTES = [
  'POST /sessions', 'GET /sessions', 'GET /sessions/:id', 'POST /sessions/:id/input',
  'PUT /sessions/:id/log-level', 'DELETE /sessions/:id', 'GET /healthz', 'GET /metrics',
];

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
  data?: unknown;
  parentSchema?: { description?: string };
}

const FIELD_CODES: Readonly<Record<string, string>> = { level: 'invalid_level', log_level: 'invalid_level', id: 'invalid_session_id' };

function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? json.slice(0, 60) + '...' : json;
}

/** A schema failure as {code, message}: where, what was sent, what is allowed. */
export function describeValidation(issues: ValidationIssue[], context: string): ErrorBody['error'] {
  const issue = issues[0]!;
  const path = issue.instancePath.split('/').filter(Boolean);
  const where = [context, ...path].join('.');
  const allowed = issue.parentSchema?.description ?? issue.message ?? 'see docs/server.md';
  if (issue.keyword === 'required') {
    const missing = String(issue.params.missingProperty);
    return { code: FIELD_CODES[missing] ?? 'invalid_request', message: `${where}: ${missing} is missing; allowed: ${allowed}` };
  }
  if (issue.keyword === 'additionalProperties') {
    return { code: 'invalid_request', message: `${where}: unknown key ${shown(issue.params.additionalProperty)}; allowed: ${allowed}` };
  }
  const field = path.at(-1) ?? context;
  return { code: FIELD_CODES[field] ?? 'invalid_request', message: `${where} = ${shown(issue.data)} is not allowed (${issue.message}); allowed: ${allowed}` };
}

/**
 * Answer a request Node's HTTP parser refused (bad framing, a body sent without a length,
 * headers too large) in the API's error shape, then close the connection: its bytes cannot
 * be trusted to start the next request.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, allowed] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'headers up to 16 KiB']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'request_timeout', 'a request sent in full within the timeout']
      : [400, 'Bad Request', 'bad_http', 'HTTP/1.1 requests; a body needs Content-Length or chunked encoding'];
  const body = JSON.stringify(errorBody(code, `the request is not valid HTTP (${error.code ?? error.message}); allowed: ${allowed}`));
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const LIMIT_MESSAGE = (limit: number) => `request body is larger than ${limit} bytes (1 MiB); allowed: up to ${limit} bytes`;

/** Map every error to a 4xx/5xx {"error":{code,message}}; never a stack trace. */
export function installErrorHandlers(app: FastifyInstance, bodyLimit: number, onInternal: (error: Error) => void): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof SessionError) return reply.code(error.status).send(errorBody(error.code, error.message));
    if (error.validation) {
      return reply.code(400).send({ error: describeValidation(error.validation as ValidationIssue[], error.validationContext ?? 'request') });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send(errorBody('body_too_large', LIMIT_MESSAGE(bodyLimit)));
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return reply.code(400).send(errorBody('invalid_json', 'request body is not valid JSON (or sets __proto__/constructor); allowed: a JSON object'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.code(400).send(errorBody('invalid_json', 'request body is empty but content-type is application/json; allowed: a JSON object'));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send(errorBody('unsupported_media_type', `content-type ${shown(request.headers['content-type'] ?? '(none)')} is not accepted; allowed: application/json`));
    }
    if (error instanceof SyntaxError) return reply.code(400).send(errorBody('invalid_json', `request body is not valid JSON (${error.message}); allowed: a JSON object`));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody('bad_request', `${error.message}; see docs/server.md for the API`));
    onInternal(error);
    return reply.code(500).send(errorBody('internal', 'internal error; the server keeps running and has logged the details'));
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    reply.code(404).send(errorBody('route_not_found', `no route ${request.method} ${shown(path).slice(1, -1)}; allowed: ${ROUTES.join(', ')}`));
  });
}
