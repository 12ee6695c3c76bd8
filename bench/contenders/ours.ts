import { createSessionLogging } from '../../src/index.ts';
import type { Contender, WorkRecord } from '../workload.ts';

/** The facade -> SessionLevelProcessor -> per-session JSONL files, at `full`. */
export function create(dir: string, sessions: number): Contender {
  const logging = createSessionLogging({ dir, env: {}, defaultLevel: 'full', compression: 'none', maxFileSize: '1GB', maxSessionSize: '10GB', durability: 'none' });
  const logs = Array.from({ length: sessions }, (_, i) => logging.open(`s${i}`));
  return {
    emit(record: WorkRecord) {
      logs[record.session]!.emit('output', record.body, record.attrs);
    },
    finish: () => logging.shutdown(),
  };
}
