import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { SessionLogging } from '../../src/SessionLogging.ts';
import { ID_ALLOWED, SessionManager, type SessionManagerOptions } from '../session/SessionManager.ts';
import { BearerAuth, TOKEN_ENV, isLoopbackHost } from './auth.ts';
import { errorBody, installErrorHandlers } from './errors.ts';
import { registerRoutes } from './routes.ts';
import { AJV_OPTIONS } from './schemas.ts';

export interface SessionServerOptions extends Omit<SessionManagerOptions, 'logging'> {
  /** The logging the sessions write through; the server shuts it down in close(). */
  logging: SessionLogging;
  /** Address to bind (default 127.0.0.1). Any non-loopback address requires `token`. */
  host?: string;
  /** Port (default 7878; 0 picks a free one). */
  port?: number;
  /** Bearer token every request must carry (except GET /healthz). */
  token?: string;
  /** Largest request body in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Called with unexpected errors (500s); default: one line on stderr. */
  onInternalError?: (error: Error) => void;
}

export const DEFAULT_PORT = 7878;
export const DEFAULT_HOST = '127.0.0.1';
const BODY_LIMIT = 1024 * 1024;

/**
 * The instrumented session server: a SessionManager behind a fastify HTTP API. `close()`
 * is the graceful shutdown: stop listening, terminate every child, flush the logs.
 */
export class SessionServer {
  readonly app: FastifyInstance;
  readonly manager: SessionManager;
  readonly logging: SessionLogging;
  readonly host: string;
  private readonly port: number;
  private readonly responses = new Map<number, number>();
  private address: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: SessionServerOptions) {
    const { logging, host = DEFAULT_HOST, port = DEFAULT_PORT, token, bodyLimit = BODY_LIMIT, onInternalError, ...managerOptions } = options;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`SessionServer: port ${JSON.stringify(port)} is not allowed; allowed: an integer 0-65535 (0 picks a free port)`);
    if (!isLoopbackHost(host) && !token) {
      throw new RangeError(`SessionServer: refusing to listen on ${host} without a bearer token; allowed: --token <secret> or ${TOKEN_ENV}, or a loopback host (127.0.0.1, ::1, localhost)`);
    }
    const auth = token ? new BearerAuth(token) : undefined;
    this.logging = logging;
    this.host = host;
    this.port = port;
    this.manager = new SessionManager({ logging, ...managerOptions });
    this.app = Fastify({
      logger: false, bodyLimit, ajv: { customOptions: AJV_OPTIONS }, return503OnClosing: true,
      routerOptions: { maxParamLength: 1024 },
      // Errors the router raises before any route runs (over-long path segment, bad URL encoding).
      frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
        const invalidId = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
        reply.code(400).send(errorBody(invalidId ? 'invalid_session_id' : 'bad_url', invalidId
          ? `a path segment is longer than 1024 characters; allowed: session ids of ${ID_ALLOWED}`
          : 'the URL is not valid (bad percent-encoding); allowed: the routes in docs/server.md'));
      },
    });
    installErrorHandlers(this.app, bodyLimit, onInternalError ?? ((error) => process.stderr.write(`session-logs serve: internal error: ${error.stack ?? error.message}\n`)));
    this.app.addHook('onResponse', async (_request, reply) => {
      this.responses.set(reply.statusCode, (this.responses.get(reply.statusCode) ?? 0) + 1);
    });
    if (auth) {
      this.app.addHook('onRequest', async (request, reply) => {
        if (request.method === 'GET' && request.url === '/healthz') return;
        if (auth.accepts(request.headers.authorization)) return;
        reply.header('www-authenticate', 'Bearer');
        return reply.code(401).send(errorBody('unauthorized', `${request.headers.authorization ? 'wrong' : 'missing'} bearer token; allowed: an Authorization: Bearer <token> header with the server's token (--token or ${TOKEN_ENV})`));
      });
    }
    registerRoutes(this.app, { manager: this.manager, tokenId: auth?.id, responses: this.responses });
  }

  /** Create a server and start listening. */
  static async start(options: SessionServerOptions): Promise<SessionServer> {
    const server = new SessionServer(options);
    await server.listen();
    return server;
  }

  async listen(): Promise<string> {
    await this.app.listen({ host: this.host, port: this.port });
    const bound = this.app.server.address();
    const port = typeof bound === 'object' && bound ? bound.port : this.port;
    const host = this.host.includes(':') && !this.host.startsWith('[') ? `[${this.host}]` : this.host;
    this.address = `http://${host}:${port}`;
    return this.address;
  }

  /** Base URL, e.g. http://127.0.0.1:7878 (after listen). */
  get url(): string {
    if (this.address === undefined) throw new Error('SessionServer: not listening yet');
    return this.address;
  }

  /** Graceful shutdown: no new requests, every child terminated, every log closed and flushed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([this.app.close(), this.manager.shutdown()]);
      await this.logging.shutdown();
    })();
    return this.closing;
  }
}
