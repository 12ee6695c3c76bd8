import { join } from 'node:path';
import pino from 'pino';
import type { Contender, WorkRecord } from '../workload.ts';

/** pino with a synchronous destination and minLength 4096: its fastest setup that loses nothing. */
export function create(dir: string, sessions: number): Contender {
  const destinations = Array.from({ length: sessions }, (_, i) => pino.destination({ dest: join(dir, `s${i}.jsonl`), sync: true, minLength: 4096 }));
  const loggers = destinations.map((destination, i) => pino({ base: { session_id: `s${i}` }, timestamp: pino.stdTimeFunctions.isoTime }, destination));
  return {
    emit(record: WorkRecord) {
      loggers[record.session]!.info({ event: 'output', attrs: record.attrs }, record.body);
    },
    finish() {
      for (const destination of destinations) {
        destination.flushSync();
        destination.end();
      }
    },
  };
}
