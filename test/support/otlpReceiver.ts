import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { otlpLogRecords } from './otlpJson.ts';

export interface ReceivedRecord {
  sessionId: string;
  seq: number;
  category: string;
  tier: string;
  eventName: string;
  body: unknown;
  severityText: string;
  timeUnixNano: string;
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

/**
 * A real HTTP server on 127.0.0.1 that speaks the OTLP/HTTP JSON logs endpoint; `mode`
 * injects Collector faults: `unavailable` answers 503 (OTLP: retry later; Retry-After an hour), `reject` 400 (OTLP:
 * never retry), `hang` accepts the request and never answers. For the Collector itself see otelcol.ts.
 */
export class OtlpReceiver {
  readonly records: ReceivedRecord[] = [];
  mode: 'ok' | 'unavailable' | 'reject' | 'hang' = 'ok';
  requests = 0;
  /** Bodies that could not be read (a test fails on these rather than crash the server). */
  readonly errors: string[] = [];
  private server: Server;
  private hanging: Array<() => void> = [];

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests++;
        if (this.mode === 'hang') {
          chunks.length = 0; // held requests must not hold their bodies (memory tests)
          this.hanging.push(() => response.destroy());
          return;
        }
        if (this.mode === 'unavailable') {
          // Retry-After past any export timeout: the exporter reports the failure at once
          // instead of retrying within the export, so a test can use a generous timeout.
          response.writeHead(503, { 'retry-after': '3600' }).end('{}');
          return;
        }
        if (this.mode === 'reject') {
          response.writeHead(400).end('{}');
          return;
        }
        let payload;
        try {
          const raw = Buffer.concat(chunks);
          const text = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
          payload = JSON.parse(text);
        } catch (error) {
          this.errors.push((error as Error).message);
          response.writeHead(400).end('{}');
          return;
        }
        for (const record of otlpLogRecords(payload)) {
          const attrs = record.attributes;
          this.records.push({
            sessionId: attrs['session.id'] as string, seq: attrs['session.log.seq'] as number,
            category: attrs['session.log.category'] as string, tier: attrs['session.log.tier'] as string,
            eventName: record.eventName ?? '', body: record.body, severityText: record.severityText ?? '',
            timeUnixNano: record.timeUnixNano, resource: record.resource, attributes: attrs,
          });
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  /** Listens on `port` (default: a free one); resolves with the logs endpoint URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/logs`;
  }

  async stop(): Promise<void> {
    for (const release of this.hanging.splice(0)) release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A fresh receiver for each test of the enclosing `describe` (mocha hooks), stopped after it. */
export function receiverPerTest(): { receiver: OtlpReceiver; url: string } {
  const current = {} as { receiver: OtlpReceiver; url: string };
  beforeEach(async () => {
    current.receiver = new OtlpReceiver();
    current.url = await current.receiver.start();
  });
  afterEach(() => current.receiver.stop());
  return current;
}
