import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports handed out by this process, never handed out twice. */
const handedOut = new Set<number>();

/** The kernel's range for ports it picks itself (bind to 0, outgoing connections). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // Not Linux: the IANA range most systems use.
  }
  return [49152, 65535];
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1 for a server that a test starts as a child process. It is
 * picked below the kernel's ephemeral range: a port that bind(0) hands out is free at that
 * moment, but any outgoing connection (a readiness poll, an exporter) may take it as its
 * local port before the child binds it, which failed an e2e run on a loaded machine
 * ("bind: address already in use"). Below the range only explicit binds compete.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const top = low - 1;
  const bottom = Math.max(1024, top - 10_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom + 1));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port on 127.0.0.1 in ${bottom}-${top} after 200 tries`);
}
