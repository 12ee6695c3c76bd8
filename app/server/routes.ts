import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CreateSessionRequest, SessionManager } from '../session/SessionManager.ts';
import type { Requester } from '../session/Requester.ts';
import { renderMetrics } from './metrics.ts';
import { createBody, idParams, inputBody, levelBody } from './schemas.ts';

interface IdParams {
  id: string;
}

export interface RouteContext {
  manager: SessionManager;
  /** Id of the bearer token in force (all requests carry it once they pass the auth hook). */
  tokenId: string | undefined;
  responses: ReadonlyMap<number, number>;
  /** Process groups found at start-up that outlived a crashed server. */
  orphans: () => number;
}

/** The HTTP API of docs/server.md (its design: docs/architecture.md). */
export function registerRoutes(app: FastifyInstance, context: RouteContext): void {
  const { manager } = context;
  const who = (request: FastifyRequest): Requester => ({
    client: request.ip,
    tokenId: context.tokenId,
    method: request.method,
    route: request.routeOptions.url,
  });

  app.post<{ Body: CreateSessionRequest }>('/sessions', { schema: { body: createBody } }, async (request, reply) => {
    reply.code(201);
    return manager.create(request.body, who(request));
  });

  app.get('/sessions', async () => ({ sessions: manager.list() }));

  app.get<{ Params: IdParams }>('/sessions/:id', { schema: { params: idParams } }, async (request) => manager.get(request.params.id));

  // 202 once the input's audit records are durable (SessionLogger.flush).
  app.post<{ Params: IdParams; Body: { data: string } }>('/sessions/:id/input', { schema: { params: idParams, body: inputBody } }, async (request, reply) => {
    const accepted = await manager.input(request.params.id, request.body.data, who(request));
    reply.code(202);
    return accepted;
  });

  app.put<{ Params: IdParams; Body: { level: string } }>('/sessions/:id/log-level', { schema: { params: idParams, body: levelBody } }, async (request) =>
    manager.setLevel(request.params.id, request.body.level, who(request)));

  app.delete<{ Params: IdParams }>('/sessions/:id', { schema: { params: idParams } }, async (request) => manager.terminate(request.params.id, who(request)));

  app.get('/healthz', async () => ({ status: 'ok', sessions: manager.counts }));

  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return renderMetrics(manager.logging.stats(), { sessions: manager.counts, filtered: manager.counters.filtered, responses: context.responses, orphans: context.orphans() });
  });
}
