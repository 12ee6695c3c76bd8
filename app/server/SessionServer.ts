import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { SessionLogging } from '../../src/SessionLogging.ts';
import { ID_ALLOWED, SessionManager, type SessionManagerOptions } from '../session/SessionManager.ts';
import { type OrphanGroup, findOrphanGroups } from '../session/orphanGroups.ts';
import { killGroup } from '../session/processGroup.ts';
import { BearerAuth, TOKEN_ENV, isLoopbackHost } from './auth.ts';
import { ConnectionTracker } from './ConnectionTracker.ts';
import { answerClientError, errorBody, installErrorHandlers } from './errors.ts';
import { HostCheck } from './hostCheck.ts';
import { acceptJsonOnly } from './jsonBody.ts';
import { registerRoutes } from './routes.ts';
import { AJV_OPTIONS } from './schemas.ts';
import type { OrphanPolicy } from './serverConfig.ts';

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
  /** Names accepted in the Host header besides loopback names and the bound address (["*"]: any). */
  allowedHosts?: string[];
  /** Origins accepted in the Origin header besides the server itself. */
  allowedOrigins?: string[];
  /** Process groups that outlived a crashed server, found at listen(): `report` (default) or `kill`. */
  orphans?: OrphanPolicy;
}

/** A process group found at start-up that outlived the server which ran it. */
export interface OrphanReport extends OrphanGroup {
  killed: boolean;
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
  /** Process groups that outlived a crashed server, found at listen(). */
  orphans: OrphanReport[] = [];
  private readonly responses = new Map<number, number>();
  private readonly connections: ConnectionTracker;
  private readonly orphanPolicy: OrphanPolicy;
  private readonly graceMs: number;
  private address: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: SessionServerOptions) {
    const { logging, host = DEFAULT_HOST, port = DEFAULT_PORT, token, bodyLimit = BODY_LIMIT, onInternalError, allowedHosts, allowedOrigins, orphans = 'report', ...managerOptions } = options;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`SessionServer: port ${JSON.stringify(port)} is not allowed; allowed: an integer 0-65535 (0 picks a free port)`);
    if (!isLoopbackHost(host) && !token) {
      throw new RangeError(`SessionServer: refusing to listen on ${host} without a bearer token; allowed: --token <secret> or ${TOKEN_ENV}, or a loopback host (127.0.0.1, ::1, localhost)`);
    }
    const auth = token ? new BearerAuth(token) : undefined;
    this.logging = logging;
    this.host = host;
    this.port = port;
    if (orphans !== 'report' && orphans !== 'kill') throw new RangeError(`SessionServer: orphans = ${JSON.stringify(orphans)}; allowed: "report" or "kill"`);
    this.orphanPolicy = orphans;
    this.manager = new SessionManager({ logging, ...managerOptions });
    this.graceMs = this.manager.terminateGraceMs;
    const hostCheck = new HostCheck({ bound: host, allowedHosts, allowedOrigins });
    this.app = Fastify({
      logger: false, bodyLimit, ajv: { customOptions: AJV_OPTIONS }, return503OnClosing: true,
      routerOptions: { maxParamLength: 1024 },
      clientErrorHandler: answerClientError,
      // Errors the router raises before any route runs (over-long path segment, bad URL encoding).
      frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
        const invalidId = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
        reply.code(400).send(errorBody(invalidId ? 'invalid_session_id' : 'bad_url', invalidId
          ? `a path segment is longer than 1024 characters; allowed: session ids of ${ID_ALLOWED}`
          : 'the URL is not valid (bad percent-encoding); allowed: the routes in docs/server.md'));
      },
    });
    this.connections = new ConnectionTracker(this.app.server);
    acceptJsonOnly(this.app);
    installErrorHandlers(this.app, bodyLimit, onInternalError ?? ((error) => process.stderr.write(`session-logs serve: internal error: ${error.stack ?? error.message}\n`)));
    // First of all hooks: a request from a page that a browser was tricked into sending goes no further.
    this.app.addHook('onRequest', async (request, reply) => {
      const refusal = hostCheck.refusal(request.headers.host, request.headers.origin);
      if (refusal) return reply.code(403).send({ error: refusal });
    });
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
    registerRoutes(this.app, { manager: this.manager, tokenId: auth?.id, responses: this.responses, orphans: () => this.orphans.length });
  }

  /** Create a server and start listening. */
  static async start(options: SessionServerOptions): Promise<SessionServer> {
    const server = new SessionServer(options);
    await server.listen();
    return server;
  }

  /** Report (and by the `orphans` option kill) groups that outlived a crashed server, then listen. */
  async listen(): Promise<string> {
    for (const orphan of await findOrphanGroups(this.logging.dir)) {
      if (this.orphanPolicy === 'kill') await killGroup(orphan.pgid, this.graceMs);
      this.orphans.push({ ...orphan, killed: this.orphanPolicy === 'kill' });
    }
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

  /**
   * Graceful shutdown: no new requests, idle connections closed at once, every child's process
   * group terminated, every log closed and flushed.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.app.close();
      this.connections.closeIdle();
      await Promise.all([closed, this.manager.shutdown()]);
      await this.logging.shutdown();
    })();
    return this.closing;
  }
}
