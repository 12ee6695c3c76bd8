/**
 * Seqs reserved per metadata.json write at first. Grown whenever writing had to wait for
 * one (doubled) or the one before was made less than RESERVATION_INTERVAL_MS earlier (by
 * the power of two that makes it last about that long at the rate it went at, 2 to 16
 * times: a session that starts flat out reaches its size in one or two writes, not four);
 * halved when it lasted more than 8 times that. A busy session then writes metadata.json a
 * few times a second instead of every 512 records (1,092 fsyncs for 1M records over 16
 * sessions), and what a crash may leave in `crash_losses` beyond the seqs handed out stays
 * one reservation: 0.25 to 2 s of the session's recent rate.
 */
export const FIRST_RESERVATION = 1024;
const MAX_RESERVATION = 1 << 20;
const RESERVATION_INTERVAL_MS = 250;

/** How a reservation reaches metadata.json (the session owns the file and its errors). */
export interface ReservationWrites {
  /** metadata.json's `seq_reserved`: what its next write carries. */
  readonly record: { seq_reserved: number };
  /** Write metadata.json now, on the event loop; `durable` fsyncs it, else an fsynced copy follows off the event loop. Failures are the file's to report (and failed()). */
  writeNow(durable: boolean): void;
  /** Write metadata.json soon, off the event loop (fsynced). */
  writeSoon(): void;
  /** The fsynced reservation grew: writers waiting for it may go on. */
  durable(): void;
  /** The store's clock, in ms. */
  now(): number;
}

/**
 * A session's seq counter and its reservation in metadata.json. A seq is handed out only
 * below the reservation as the OS has it (written, so a killed process cannot take it back),
 * and a line reaches the disk only below the reservation as it is fsynced. The next
 * reservation is asked for when half of the current one is used, off the event loop; only
 * when it has not landed in time is it written at once (without the fsync).
 */
export class SeqReservation {
  /** Last seq handed out. */
  last: number;
  /** Seqs handed out by this instance start above this (anything at or below came from elsewhere). */
  readonly openedAt: number;
  /** Seqs up to here are reserved in metadata.json on disk (fsynced): records up to it may be written. */
  onDisk: number;
  /** ... and in metadata.json as the OS has it: seqs up to it may be handed out. */
  private written: number;
  private size = FIRST_RESERVATION;
  private grewForWrite = false;
  /**
   * What the metadata.json writes asked for reserve: one carrying at least this is on its way
   * or has landed (unless a write failed since). A writer waiting for it asks again on every
   * turn; while it covers them, that asks for no other write.
   */
  private asked: number;
  /** When the reservation was last extended (ms). */
  private renewedAt = -Infinity;
  /** The seq at which the next reservation is asked for. */
  private renewAt: number;
  private readonly writes: ReservationWrites;

  /** `start`: the last seq used before this instance (on disk or reserved), known and fsynced. */
  constructor(writes: ReservationWrites, start: number) {
    this.writes = writes;
    this.last = this.openedAt = this.onDisk = this.written = this.renewAt = this.asked = start;
  }

  /**
   * At open: the first reservation written at once (the first seq needs it written), its
   * fsynced copy after. Asked for off the event loop instead, that write was made stale by
   * the synchronous one of the first emit, and redone.
   */
  start(): void {
    this.renewedAt = this.writes.now();
    this.extend(this.last + this.size);
    this.writeNow(false);
  }

  /** The next seq; asks for a larger reservation well before it runs out. */
  next(): number {
    const seq = ++this.last;
    if (seq >= this.renewAt) this.needed();
    if (seq > this.written) this.reserveNow();
    return seq;
  }

  /** Was `seq` handed out by this instance (and not by a counter elsewhere)? */
  handedOut(seq: number): boolean {
    return seq > this.openedAt && seq <= this.last;
  }

  /** Ask for a reservation covering what was handed out and more, unless one is on its way. */
  needed(): void {
    const { record } = this.writes;
    if (record.seq_reserved >= this.last + this.size / 2 && this.onDisk >= this.last) return;
    if (this.onDisk < this.last && record.seq_reserved >= this.last && !this.grewForWrite && this.onDisk > this.openedAt) {
      // A writer waits for a reservation already asked for: the next ones are larger (once per
      // write). Not for the first after opening: every writer waits for that one, whatever the size.
      this.size = Math.min(this.size * 2, MAX_RESERVATION);
      this.grewForWrite = true;
    } else if (record.seq_reserved < this.last + this.size / 2) this.adapt(); // running low: a new reservation
    if (this.asked >= this.last + this.size / 2) {
      // A write on its way covers them, and half a reservation more: asked again when that half is used.
      this.renewAt = this.asked - this.size / 2;
      return;
    }
    this.extend(this.last + this.size);
    this.asked = record.seq_reserved;
    this.writes.writeSoon();
  }

  /** A metadata.json write failed: what it asked for is not on its way any more. */
  failed(): void {
    this.asked = this.onDisk;
  }

  /** A writer must write `seq` now (backpressure, exit): reserve it and write metadata.json fsynced, synchronously. */
  reserveSync(seq: number): void {
    this.writes.record.seq_reserved = Math.max(this.writes.record.seq_reserved, seq, this.last + this.size);
    this.writeNow(true);
  }

  /** A metadata.json write carrying `reserved` landed (fsynced or not). */
  landed(reserved: number, durable: boolean): void {
    if (reserved > this.written) this.written = reserved;
    if (!durable) return;
    this.grewForWrite = false;
    if (reserved > this.onDisk) {
      this.onDisk = reserved;
      this.writes.durable();
    }
  }

  /** Everything handed out is written or recorded: the reservation ends at the last seq. */
  end(): void {
    this.writes.record.seq_reserved = this.last;
  }

  /**
   * No seq is handed out before metadata.json reserves it: when the reservation asked for
   * ahead has not landed in time (or at open), write it now, without waiting for the fsync
   * (the fsynced copy follows). A killed process then cannot have handed out a seq that a
   * reopen does not know of.
   */
  private reserveNow(): void {
    this.extend(this.last + this.size);
    this.writeNow(false);
  }

  /** A synchronous write; one that is not fsynced is followed by an fsynced copy (MetadataFile.writeSync). */
  private writeNow(durable: boolean): void {
    this.asked = Math.max(this.asked, this.writes.record.seq_reserved);
    this.writes.writeNow(durable);
  }

  private extend(upTo: number): void {
    const record = this.writes.record;
    record.seq_reserved = Math.max(record.seq_reserved, upTo);
    this.renewAt = record.seq_reserved - this.size / 2;
  }

  /** Reservations that run out within RESERVATION_INTERVAL_MS grow (2-16x, by how soon); ones that last long shrink back. */
  private adapt(): void {
    const now = this.writes.now();
    const lasted = now - this.renewedAt;
    this.renewedAt = now;
    // A clock that did not move (a test's fixed one) says nothing of the rate: the size stays.
    if (lasted > 0 && lasted < RESERVATION_INTERVAL_MS) {
      const factor = 2 ** Math.min(4, Math.max(1, Math.floor(Math.log2(RESERVATION_INTERVAL_MS / lasted))));
      this.size = Math.min(this.size * factor, MAX_RESERVATION);
    } else if (lasted > 8 * RESERVATION_INTERVAL_MS) this.size = Math.max(this.size / 2, FIRST_RESERVATION);
  }
}
