import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FIRST_RESERVATION, SeqReservation } from '../../storage/SeqReservation.ts';

/**
 * metadata.json as SeqReservation sees it: a synchronous write lands at once (as
 * MetadataFile.writeSync hands its snapshot back before returning); an asynchronous one
 * waits in `pending` until the test lands it.
 */
class FakeMetadata {
  readonly record = { seq_reserved: 0 };
  /** Reservations carried by asynchronous writes not landed yet, oldest first. */
  readonly pending: number[] = [];
  readonly syncWrites: boolean[] = [];
  durableCalls = 0;
  clock = 0;
  seqs!: SeqReservation;

  writeNow(durable: boolean): void {
    this.syncWrites.push(durable);
    this.seqs.landed(this.record.seq_reserved, durable);
    if (!durable) this.pending.push(this.record.seq_reserved); // MetadataFile.writeSync(false): an fsynced copy follows
  }

  writeSoon(): void {
    this.pending.push(this.record.seq_reserved);
  }

  /** The oldest asynchronous write lands, fsynced. */
  landOne(): void {
    const reserved = this.pending.shift();
    if (reserved !== undefined) this.seqs.landed(reserved, true);
  }

  /** The oldest asynchronous write fails (a full disk). */
  failOne(): void {
    if (this.pending.shift() !== undefined) this.seqs.failed();
  }
}

function reservation(start = 0): { seqs: SeqReservation; m: FakeMetadata } {
  const m = new FakeMetadata();
  m.record.seq_reserved = start;
  m.seqs = new SeqReservation({
    record: m.record,
    writeNow: (durable) => m.writeNow(durable),
    writeSoon: () => m.writeSoon(),
    durable: () => m.durableCalls++,
    now: () => m.clock,
  }, start);
  return { seqs: m.seqs, m };
}

describe('SeqReservation', () => {
  it('continues above the seq it starts at, and knows which seqs it handed out', () => {
    const { seqs } = reservation(40);
    assert.equal(seqs.next(), 41);
    assert.equal(seqs.next(), 42);
    assert.deepEqual([40, 41, 42, 43].map((seq) => seqs.handedOut(seq)), [false, true, true, false]);
  });

  it('hands out a seq before the reservation asked for at open has landed by writing one at once, without fsync', () => {
    const { seqs, m } = reservation();
    seqs.needed(); // at open, off the event loop
    assert.equal(seqs.next(), 1);
    assert.deepEqual(m.syncWrites, [false], 'one synchronous write, not fsynced');
    assert.equal(m.record.seq_reserved, 1 + FIRST_RESERVATION);
    assert.equal(seqs.onDisk, 0, 'not fsynced: nothing may be written yet');
    for (let i = 0; i < 100; i++) seqs.next();
    assert.deepEqual(m.syncWrites, [false], 'one write for the whole reservation');
  });

  it('asks for the next reservation, off the event loop, once half of the one on disk is used', () => {
    const { seqs, m } = reservation();
    seqs.needed();
    m.landOne();
    assert.equal(seqs.onDisk, FIRST_RESERVATION);
    while (seqs.last < FIRST_RESERVATION / 2) seqs.next();
    assert.deepEqual([m.syncWrites, m.pending], [[], []], 'enough is left');
    seqs.next();
    assert.deepEqual([m.syncWrites, m.pending], [[], [seqs.last + FIRST_RESERVATION]]);
  });

  it('lets lines be written only once a reservation is fsynced, and tells the writers once', () => {
    const { seqs, m } = reservation();
    seqs.next();
    seqs.needed();
    assert.equal(m.durableCalls, 0);
    m.landOne();
    assert.deepEqual([seqs.onDisk, m.durableCalls], [1 + FIRST_RESERVATION, 1]);
    seqs.landed(10, true); // an older write landing late changes nothing
    assert.deepEqual([seqs.onDisk, m.durableCalls], [1 + FIRST_RESERVATION, 1]);
  });

  it('doubles the next reservation when a writer waits for one, once until a write is fsynced', () => {
    const { seqs, m } = reservation();
    seqs.start();
    m.landOne(); // the first reservation, 1024, is on disk
    while (seqs.last < 1030) seqs.next(); // past it before the next one landed: writers of seqs above 1024 wait
    assert.equal(m.record.seq_reserved, 1025 + 2 * FIRST_RESERVATION, 'the renewal at seq 1025 found writers waiting: doubled');
    seqs.needed();
    seqs.needed();
    assert.equal(m.record.seq_reserved, 1025 + 2 * FIRST_RESERVATION, 'not again for the same wait');
    while (m.pending.length > 0) m.landOne();
    seqs.next();
    seqs.needed();
    assert.equal(m.record.seq_reserved, 1025 + 2 * FIRST_RESERVATION, 'enough is reserved and fsynced: nothing to ask');
  });

  it('at opening, a writer waiting for the first fsynced reservation neither grows it nor asks for another write', () => {
    const { seqs, m } = reservation();
    seqs.start();
    seqs.next(); // session.created: its writer waits for the fsynced copy
    for (let turn = 0; turn < 10; turn++) seqs.needed();
    assert.deepEqual([m.record.seq_reserved, m.pending], [FIRST_RESERVATION, [FIRST_RESERVATION]]);
  });

  it('start() writes the first reservation at once, not fsynced, and its fsynced copy after: the first seqs need no other write', () => {
    const { seqs, m } = reservation(40);
    seqs.start();
    assert.deepEqual([m.syncWrites, m.pending], [[false], [40 + FIRST_RESERVATION]]);
    for (let i = 0; i < 100; i++) seqs.next();
    assert.deepEqual([m.syncWrites, m.pending], [[false], [40 + FIRST_RESERVATION]], 'nothing more for the first 100 seqs');
    assert.equal(seqs.onDisk, 40, 'no line may be written before the copy is fsynced');
    m.landOne();
    assert.equal(seqs.onDisk, 40 + FIRST_RESERVATION);
  });

  it('asks for no other write while one on its way covers what was handed out, and asks again once it failed', () => {
    const { seqs, m } = reservation();
    seqs.start();
    for (let i = 0; i < 10; i++) seqs.next();
    for (let turn = 0; turn < 50; turn++) seqs.needed(); // a writer waiting for the fsynced copy asks on every turn
    const asked = m.pending.length;
    assert.ok(asked <= 2, `${asked} writes asked for by 50 requests`);
    for (let turn = 0; turn < 50; turn++) seqs.needed();
    assert.equal(m.pending.length, asked, 'no more while they are on their way');
    while (m.pending.length > 0) m.failOne();
    seqs.needed();
    assert.equal(m.pending.length, 1, 'asked again after the failure');
    m.landOne();
    assert.ok(seqs.onDisk >= seqs.last, 'the waiting writer may go on');
  });

  it('reserveSync reserves at least the seq asked for and writes it fsynced, at once', () => {
    const { seqs, m } = reservation();
    seqs.next();
    seqs.reserveSync(5000);
    assert.equal(m.record.seq_reserved, 5000);
    assert.deepEqual(m.syncWrites, [false, true]);
    assert.deepEqual([seqs.onDisk, m.durableCalls], [5000, 1]);
  });

  it('end() ends the reservation at the last seq handed out', () => {
    const { seqs, m } = reservation();
    for (let i = 0; i < 7; i++) seqs.next();
    seqs.end();
    assert.equal(m.record.seq_reserved, 7);
  });

  it('in any interleaving of seqs, asynchronous writes landing or failing and a moving clock: no seq above what is written, no line above what is fsynced, and a waiting writer is not left waiting', () => {
    type Step = { kind: 'seq'; n: number } | { kind: 'land' } | { kind: 'fail' } | { kind: 'wait'; ms: number } | { kind: 'writerWaits' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.integer({ min: 1, max: 3000 }).map((n) => ({ kind: 'seq' as const, n })),
      fc.constant({ kind: 'land' as const }),
      fc.constant({ kind: 'fail' as const }),
      fc.integer({ min: 0, max: 5000 }).map((ms) => ({ kind: 'wait' as const, ms })),
      fc.constant({ kind: 'writerWaits' as const }),
    );
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.boolean(), fc.array(step, { maxLength: 80 }), (start, opened, steps) => {
      const { seqs, m } = reservation(start);
      let written = start; // the highest reservation that reached metadata.json, fsynced or not
      let fsynced = start;
      const realWriteNow = m.writeNow.bind(m);
      m.writeNow = (durable) => {
        realWriteNow(durable);
        written = Math.max(written, m.record.seq_reserved);
        if (durable) fsynced = Math.max(fsynced, m.record.seq_reserved);
      };
      let expected = start;
      if (opened) seqs.start();
      for (const s of steps) {
        if (s.kind === 'seq') {
          for (let i = 0; i < s.n; i++) {
            const seq = seqs.next();
            assert.equal(seq, ++expected, 'seqs follow each other');
            assert.ok(seq <= written, `seq ${seq} handed out above the reservation written (${written})`);
          }
        } else if (s.kind === 'land') {
          const reserved = m.pending[0];
          m.landOne();
          if (reserved !== undefined) {
            written = Math.max(written, reserved);
            fsynced = Math.max(fsynced, reserved);
          }
        } else if (s.kind === 'fail') m.failOne();
        else if (s.kind === 'wait') m.clock += s.ms;
        else seqs.needed();
        assert.ok(seqs.onDisk <= fsynced, `lines may be written up to ${seqs.onDisk}, above the fsynced ${fsynced}`);
        assert.ok(m.record.seq_reserved >= seqs.last, 'metadata.json never reserves less than was handed out');
        assert.ok(m.record.seq_reserved - seqs.last <= 2 * (1 << 20), 'a reservation is bounded');
      }
      // A writer waiting for the seqs handed out asks once more; once the writes on their way land, it may go on.
      seqs.needed();
      while (m.pending.length > 0) m.landOne();
      assert.ok(seqs.onDisk >= seqs.last, `a writer of seq ${seqs.last} would wait for ever: ${seqs.onDisk} fsynced`);
    }), { numRuns: 300 });
  });
});
