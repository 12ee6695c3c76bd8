/** Counters shared by every writer of one exporter; reported by /metrics and `stats()`. */
export interface WriterStats {
  /** Records written to disk. */
  records: number;
  /** Bytes written to the active files. */
  bytes: number;
  /** Records that could not be written (counted, seq ranges in metadata.json). */
  dropped: number;
  /** Times append() wrote synchronously because buffered bytes passed the high-water mark. */
  backpressure: number;
  rotations: number;
  /** Segments compressed. */
  compressions: number;
  /** I/O errors (each failed chunk, rename, compression or metadata write). */
  errors: number;
  /** Torn last lines repaired on reopen. */
  repairs: number;
  /** Segments removed by the size cap or retention. */
  removedSegments: number;
  /** Records that arrived after the store was shut down (counted, not written). */
  late: number;
  /** Records with an invalid session.id, or for a session the store could not open (counted, reported once). */
  rejected: number;
}

export function newWriterStats(): WriterStats {
  return { records: 0, bytes: 0, dropped: 0, backpressure: 0, rotations: 0, compressions: 0, errors: 0, repairs: 0, removedSegments: 0, late: 0, rejected: 0 };
}
