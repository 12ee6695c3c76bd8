import { hostname, networkInterfaces } from 'node:os';
import type { ErrorBody } from './errors.ts';

export interface HostCheckOptions {
  /** The address the server is bound to. */
  bound: string;
  /** More names accepted in Host (a reverse proxy's public name); "*" accepts any. */
  allowedHosts?: readonly string[];
  /** Origins accepted in Origin (a web page that calls the API), e.g. https://sessions.example.com. */
  allowedOrigins?: readonly string[];
}

const WILDCARDS = new Set(['0.0.0.0', '[::]']);

/** A Host header's name without the port, lower case, IPv6 in brackets; undefined if it is not a host. */
function hostName(host: string): string | undefined {
  if (/[/\\@?#\s]/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/**
 * DNS rebinding and cross-site requests: a browser tricked into calling the API sends the
 * attacker's name in Host, and its page's origin in Origin. Host must name this server
 * (loopback names, the bound address, or a configured name); Origin, when present, must be
 * this server itself or a configured origin.
 */
export class HostCheck {
  private readonly hosts: Set<string>;
  private readonly anyHost: boolean;
  private readonly origins: Set<string>;

  constructor(options: HostCheckOptions) {
    const names = ['localhost', '127.0.0.1', '[::1]', bracketed(options.bound), ...(options.allowedHosts ?? [])];
    if (WILDCARDS.has(bracketed(options.bound))) {
      // Bound to every address: each of this machine's addresses and its name reach it.
      names.push(hostname());
      for (const addresses of Object.values(networkInterfaces())) {
        for (const address of addresses ?? []) names.push(bracketed(address.address.split('%')[0]!));
      }
    }
    this.anyHost = names.includes('*');
    this.hosts = new Set(names.map((name) => hostName(name) ?? name.toLowerCase()));
    this.origins = new Set(options.allowedOrigins ?? []);
  }

  /** The refusal for a request's Host and Origin headers, or undefined when they are allowed. */
  refusal(host: string | undefined, origin: string | undefined): ErrorBody['error'] | undefined {
    // HTTP/1.1 requires Host (Node answers 400 without it); an HTTP/1.0 client without Host is not a browser.
    if (host !== undefined && !this.anyHost) {
      const name = hostName(host);
      if (name === undefined || (!this.hosts.has(name) && !isLoopbackName(name))) {
        return { code: 'host_not_allowed', message: `Host ${JSON.stringify(host.slice(0, 100))} does not name this server; allowed: localhost, a loopback address, the bound address, or a name in session_server.allowed_hosts` };
      }
    }
    if (origin !== undefined && !this.origins.has(origin) && !sameOrigin(origin, host)) {
      return { code: 'origin_not_allowed', message: `Origin ${JSON.stringify(origin.slice(0, 100))} may not call this API; allowed: requests without Origin, from this server itself, or from an origin in session_server.allowed_origins` };
    }
    return undefined;
  }
}

function isLoopbackName(name: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || name === '[::1]';
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}
