import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { createSessionLogging } from '../../src/index.ts';
import { type Attrs, type Contender, sessionId } from '../workload.ts';

export interface OursOptions {
  /** none: written to the OS, as every other contender; audit: the library's default (audit lines fdatasync'ed in group commit waves). */
  durability: 'none' | 'audit';
  /** Add a processor that does nothing: the files are no longer the only destination, so every record goes through the OTel SDK. */
  sdk: boolean;
}

const noop: LogRecordProcessor = { onEmit() {}, forceFlush: async () => {}, shutdown: async () => {} };

/** The facade, files only; rotation and compression out of the way (no other contender does them). */
export function createOurs(dir: string, sessions: number, options: OursOptions): Contender {
  const logging = createSessionLogging({
    dir, env: {}, defaultLevel: 'full', compression: 'none', maxFileSize: '1GB', maxSessionSize: '10GB', durability: options.durability, retention: false,
    ...(options.sdk ? { processors: [noop] } : {}),
  });
  if (logging.direct === options.sdk) throw new Error(`ours: expected the ${options.sdk ? 'SDK' : 'direct'} route, the facade chose the other`);
  const logs = Array.from({ length: sessions }, (_, i) => logging.open(sessionId(i)));
  return {
    emit(session: number, audit: boolean, body: string, attrs: Attrs) {
      logs[session]!.emit(audit ? 'input' : 'output', body, attrs);
    },
    finish: () => logging.shutdown(),
  };
}

/** Files are the only destination: the direct route, no SDK record. */
export function create(dir: string, sessions: number): Contender {
  return createOurs(dir, sessions, { durability: 'none', sdk: false });
}
