import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Knows which connections are serving a request. On shutdown the idle ones are closed at once:
 * a kept-alive connection, or one that was opened and never sent a request, would otherwise
 * hold the server open until its timeout (Node's closeIdleConnections misses the second kind).
 * Connections with a request under way close when their answer has been sent.
 */
export class ConnectionTracker {
  private readonly busy = new Map<Socket, number>();
  private closing = false;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      // One that slips in while the server stops listening would hold it open like an idle one.
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.busy.set(socket, 0);
      socket.once('close', () => this.busy.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
      if (this.closing) response.shouldKeepAlive = false;
      response.once('close', () => {
        if (!this.busy.has(socket)) return; // the connection closed first
        const left = this.busy.get(socket)! - 1;
        this.busy.set(socket, left);
        if (this.closing && left === 0) socket.end();
      });
    });
  }

  /** Close every idle connection now, and each busy one once its answer is sent. */
  closeIdle(): void {
    this.closing = true;
    for (const [socket, requests] of this.busy) if (requests === 0) socket.destroy();
  }

  get open(): number {
    return this.busy.size;
  }
}
