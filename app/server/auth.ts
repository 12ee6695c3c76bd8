import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const TOKEN_ENV = 'SESSION_LOGS_TOKEN';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (host.toLowerCase().startsWith('::ffff:')) return host.slice(7).startsWith('127.');
  return false;
}

/** Names a token in audit records without revealing it: the first 12 hex digits of its sha256. */
export function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

/** Checks `Authorization: Bearer <token>` in constant time. */
export class BearerAuth {
  readonly id: string;
  private readonly digest: Buffer;

  constructor(token: string) {
    if (typeof token !== 'string' || token.length < 8) {
      throw new RangeError(`token: a bearer token of ${typeof token === 'string' ? token.length : 0} characters is too short; allowed: at least 8 characters (--token or ${TOKEN_ENV})`);
    }
    this.digest = createHash('sha256').update(token).digest();
    this.id = tokenId(token);
  }

  /** True when the header carries this token. */
  accepts(header: string | undefined): boolean {
    if (typeof header !== 'string') return false;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return false;
    return timingSafeEqual(createHash('sha256').update(match[1]!).digest(), this.digest);
  }
}
