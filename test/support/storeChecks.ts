/**
 * What the end-to-end tests prove about a log store, by counting: every record on disk is in
 * the store (distinct seq per session equal to the lines on disk), how many arrived twice,
 * and that each stored entry carries the line's fields.
 */
import assert from 'node:assert/strict';
import { type Line, sessionLines } from './sessionFiles.ts';
import { tsToUnixNano } from './collectorOutput.ts';
import { type RunningVictoriaLogs, type Row, quote, storedCounts, timeToUnixNano } from './victoriaLogs.ts';
import { waitFor } from './service.ts';

export interface Delivery {
  /** Records in the session files. */
  sent: number;
  /** Entries in the store. */
  stored: number;
  /** Distinct (session, seq) in the store. */
  distinct: number;
  /** stored - distinct: entries that arrived more than once. */
  duplicated: number;
}

/**
 * Waits until every record of the sessions' files is in the store (distinct seq per session
 * equal to the lines on disk) and returns the totals; fails with the per-session counts if
 * that does not happen within `timeoutMs`.
 */
export async function waitForDelivery(store: RunningVictoriaLogs, root: string, ids: string[], timeoutMs = 90_000): Promise<Delivery> {
  const onDisk = new Map(ids.map((id) => [id, sessionLines(root, id).length]));
  let last = new Map<string, { count: number; distinct: number }>();
  await waitFor('every record in the store', async () => {
    last = await storedCounts(store, ids);
    return ids.every((id) => last.get(id)!.distinct >= onDisk.get(id)!) ? true : undefined;
  }, { timeoutMs, intervalMs: 250, describe: () => ids.map((id) => `${id}: ${JSON.stringify(last.get(id))} of ${onDisk.get(id)} on disk`).join('; ') });
  const delivery: Delivery = { sent: 0, stored: 0, distinct: 0, duplicated: 0 };
  for (const id of ids) {
    const { count, distinct } = last.get(id)!;
    assert.equal(distinct, onDisk.get(id), `${id}: distinct seq in the store equal to the records on disk`);
    delivery.sent += onDisk.get(id)!;
    delivery.stored += count;
    delivery.distinct += distinct;
  }
  delivery.duplicated = delivery.stored - delivery.distinct;
  return delivery;
}

/** One session's entries from the store, by seq (the first of repeats). */
export async function storedBySeq(store: RunningVictoriaLogs, id: string): Promise<Map<number, Row>> {
  const rows = await store.query(`session.id:${quote(id)}`);
  const bySeq = new Map<number, Row>();
  for (const row of rows) if (!bySeq.has(Number(row['session.log.seq']))) bySeq.set(Number(row['session.log.seq']), row);
  return bySeq;
}

/** The stored entry has the line's session id, seq, category, tier, event name, severity, body and timestamp (to the ns). */
export function assertSameRecord(row: Row | undefined, line: Line): void {
  const where = `${line.session_id} seq ${line.seq}`;
  assert.ok(row, `${where} is not in the store`);
  assert.deepEqual(
    {
      session: row['session.id'], seq: Number(row['session.log.seq']), category: row['session.log.category'], tier: row['session.log.tier'],
      event: row['event.name'], severity: row.severity_text, body: row._msg, time: timeToUnixNano(row._time!).toString(),
    },
    {
      session: line.session_id, seq: line.seq, category: line.category, tier: line.tier,
      event: line.event, severity: line.severity, body: line.body, time: tsToUnixNano(line.ts),
    },
    where,
  );
}
