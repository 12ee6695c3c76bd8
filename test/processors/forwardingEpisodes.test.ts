import assert from 'node:assert/strict';
import { ForwardingEpisodes } from '../../processors/ForwardingEpisodes.ts';
import type { ForwardingReport } from '../../processors/ForwardingReport.ts';

function episodes(maxQueueBytes = 1000): { reports: ForwardingReport[]; episodes: ForwardingEpisodes } {
  const reports: ForwardingReport[] = [];
  return { reports, episodes: new ForwardingEpisodes((r) => reports.push(r), maxQueueBytes) };
}

describe('forwarding trouble, one report per episode', () => {
  it('an outage: one report when it starts, one when an export succeeds, with what failed and what did not fit', () => {
    const { reports, episodes: e } = episodes();
    e.exportFailed(new Error('down'), 10);
    e.exportFailed(new Error('still down'), 12);
    e.recordDropped();
    e.recordDropped();
    assert.equal(e.inOutage, true);
    e.exportSucceeded(900);
    e.exportSucceeded(800);
    assert.deepEqual(reports.map((r) => r.kind), ['outage', 'recovered']);
    assert.deepEqual({ ...reports[1], outageMillis: 0 }, { kind: 'recovered', outageMillis: 0, failedExports: 2, notForwarded: 2 });
    assert.deepEqual([e.outages, e.inOutage], [1, false]);
    e.exportFailed(new Error('again'), 1);
    assert.equal(e.outages, 2);
  });

  it('an overflow while exports work: reported, and ended only once the queue is half empty', () => {
    const { reports, episodes: e } = episodes(1000);
    e.recordDropped();
    e.recordDropped();
    e.exportSucceeded(600); // still more than half full
    e.recordDropped();
    e.exportSucceeded(500);
    assert.deepEqual(reports, [{ kind: 'overflow', maxQueueBytes: 1000 }, { kind: 'overflow-ended', notForwarded: 3 }]);
  });

  it('an overflow during an outage is told by the outage alone', () => {
    const { reports, episodes: e } = episodes(1000);
    e.exportFailed(new Error('down'), 5);
    e.recordDropped();
    e.exportSucceeded(0);
    assert.deepEqual(reports.map((r) => r.kind), ['outage', 'recovered']);
  });

  it('rejections: one report per run, a new run after an export went through', () => {
    const { reports, episodes: e } = episodes();
    e.exportRejected(new Error('400'), 50, 0);
    e.exportRejected(new Error('400'), 50, 0);
    e.exportSucceeded(0);
    e.exportRejected(new Error('413'), 7, 0);
    assert.deepEqual(reports.map((r) => (r.kind === 'rejected' ? r.records : r.kind)), [50, 7]);
  });
});
