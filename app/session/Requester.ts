import type { AnyValue } from '@opentelemetry/api';

/** Who asked for an action: recorded on every audit record the action produces. */
export interface Requester {
  /** Client address, e.g. 127.0.0.1. */
  client: string;
  /** Short sha256 prefix of the bearer token (never the token itself). */
  tokenId?: string;
  method?: string;
  route?: string;
}

/** Attributes naming the requester, for input, command.started and api.request records. */
export function requesterAttributes(who: Requester): Record<string, AnyValue> {
  const attrs: Record<string, AnyValue> = { client: who.client };
  if (who.tokenId !== undefined) attrs.token_id = who.tokenId;
  return attrs;
}

/** The `by` of a level change: `api 127.0.0.1` or `api 10.0.0.5 token 1a2b3c4d5e6f`. */
export function requesterLabel(who: Requester): string {
  return `api ${who.client}` + (who.tokenId !== undefined ? ` token ${who.tokenId}` : '');
}

/** An api.request record's attributes: the action, the HTTP request and who sent it. */
export function apiRequestAttributes(who: Requester, action: string, extra: Record<string, AnyValue> = {}): Record<string, AnyValue> {
  const attrs: Record<string, AnyValue> = { action };
  if (who.method !== undefined) attrs.method = who.method;
  if (who.route !== undefined) attrs.route = who.route;
  return { ...attrs, ...requesterAttributes(who), ...extra };
}

/** The requester of actions the server takes on its own (shutdown). */
export const SERVER_REQUESTER: Requester = { client: 'server' };
