import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SessionError } from '../session/SessionError.ts';

/** Methods whose requests carry no body: an empty one is accepted whatever the content-type says. */
const BODILESS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS']);

/**
 * The only body the API takes: JSON in UTF-8 (`application/json`, charset absent or utf-8).
 * Everything else, text/plain included, is 415; JSON that sets __proto__ or constructor is 400.
 */
export function acceptJsonOnly(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(new SessionError(415, 'unsupported_media_type', `charset ${JSON.stringify(charset)} is not accepted; allowed: application/json in UTF-8 (no charset, or charset=utf-8)`), undefined);
      return;
    }
    if (body === '' && BODILESS.has(request.method)) {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}
