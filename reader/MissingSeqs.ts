import type { SessionMetadata } from '../format/sessionMetadata.ts';

/** Where a gap was noticed: the record just after it. */
export interface GapLocation {
  file?: string;
  line?: number;
}

export interface UnexplainedGap extends GapLocation {
  first: number;
  last: number;
  message: string;
}

interface Budget {
  first: number;
  last: number;
  /** Lines the removals and drops in this range held. */
  lines: number;
  /** Seqs found missing in this range. */
  missing: number;
  what: string[];
}

interface Piece {
  first: number;
  last: number;
  /** Index into budgets; -1: a crash loss, which explains every seq in it. */
  budget: number;
}

/**
 * The ledger of seqs that neither file holds, checked against metadata.json. A crash loss
 * explains every seq in its range. A removed segment (cap, retention) or a drop explains only
 * as many seqs as it held lines: the two files interleave, so its range also spans seqs of
 * the other file, and counting is what tells a removed audit segment from a deleted system
 * line in the same range. Memory: the explanations plus the unexplained gaps, never all seqs.
 */
export class MissingSeqs {
  private readonly budgets: Budget[] = [];
  private readonly pieces: Piece[] = [];
  private readonly gaps: Array<{ first: number; last: number } & GapLocation> = [];

  constructor(meta: SessionMetadata) {
    const full = mergeRanges(meta.crash_losses.map((loss) => ({ first: loss.first_seq, last: loss.last_seq })));
    const counted = [
      ...meta.removed.map((r) => ({ first: r.first_seq, last: r.last_seq, lines: r.lines, what: `${r.file} (${r.reason}, ${r.lines} lines)` })),
      ...meta.drops.map((d) => ({ first: d.first_seq, last: d.last_seq, lines: d.count, what: `a ${d.stream} drop (${d.error}, ${d.count} records)` })),
    ].sort((a, b) => a.first - b.first);
    // Overlapping ranges (an audit and a system segment side by side in seq) share one budget.
    for (const range of counted) {
      const last = this.budgets[this.budgets.length - 1];
      if (last && range.first <= last.last) {
        last.last = Math.max(last.last, range.last);
        last.lines += range.lines;
        last.what.push(range.what);
      } else this.budgets.push({ first: range.first, last: range.last, lines: range.lines, missing: 0, what: [range.what] });
    }
    for (const range of full) this.pieces.push({ ...range, budget: -1 });
    this.budgets.forEach((budget, index) => {
      for (const piece of subtract(budget, full)) this.pieces.push({ ...piece, budget: index });
    });
    this.pieces.sort((a, b) => a.first - b.first);
  }

  /** Seqs first..last are in neither file. */
  add(first: number, last: number, where: GapLocation): void {
    let at = this.firstPieceEndingAtOrAfter(first);
    let from = first;
    while (from <= last) {
      const piece = this.pieces[at];
      if (!piece || piece.first > last) {
        this.gaps.push({ first: from, last, ...where });
        return;
      }
      if (piece.first > from) this.gaps.push({ first: from, last: piece.first - 1, ...where });
      const to = Math.min(last, piece.last);
      if (piece.budget >= 0) this.budgets[piece.budget]!.missing += to - Math.max(from, piece.first) + 1;
      from = to + 1;
      at++;
    }
  }

  /**
   * A seq met out of order, after the merge passed it. True: it had been counted missing
   * (the line was moved); false: it was already present (a copy of a line).
   */
  found(seq: number): boolean {
    const gap = this.gaps.findIndex((g) => seq >= g.first && seq <= g.last);
    if (gap !== -1) {
      const g = this.gaps[gap]!;
      const parts = [{ ...g, last: seq - 1 }, { ...g, first: seq + 1 }].filter((p) => p.first <= p.last);
      this.gaps.splice(gap, 1, ...parts);
      return true;
    }
    const piece = this.pieces[this.firstPieceEndingAtOrAfter(seq)];
    if (!piece || piece.first > seq) return false;
    // Inside an explained range the ledger has counts, not seqs: call it moved.
    if (piece.budget >= 0) this.budgets[piece.budget]!.missing--;
    return true;
  }

  /** The gaps metadata.json does not explain. */
  unexplained(): UnexplainedGap[] {
    const out: UnexplainedGap[] = this.gaps.map((g) => ({ ...g, message: g.first === g.last ? `seq ${g.first} is missing` : `seq ${g.first}-${g.last} are missing` }));
    for (const b of this.budgets) {
      if (b.missing > b.lines) {
        out.push({ first: b.first, last: b.last, message: `${b.missing} seqs between ${b.first} and ${b.last} are missing, ${b.missing - b.lines} more than metadata.json explains (${b.what.join('; ')})` });
      }
    }
    return out.sort((a, b) => a.first - b.first);
  }

  private firstPieceEndingAtOrAfter(seq: number): number {
    let low = 0;
    let high = this.pieces.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.pieces[mid]!.last < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function mergeRanges(ranges: Array<{ first: number; last: number }>): Array<{ first: number; last: number }> {
  const merged: Array<{ first: number; last: number }> = [];
  for (const range of [...ranges].sort((a, b) => a.first - b.first)) {
    const last = merged[merged.length - 1];
    if (last && range.first <= last.last + 1) last.last = Math.max(last.last, range.last);
    else merged.push({ ...range });
  }
  return merged;
}

/** `range` minus the sorted, disjoint `holes`. */
function subtract(range: { first: number; last: number }, holes: Array<{ first: number; last: number }>): Array<{ first: number; last: number }> {
  const out: Array<{ first: number; last: number }> = [];
  let from = range.first;
  for (const hole of holes) {
    if (hole.last < from || hole.first > range.last) continue;
    if (hole.first > from) out.push({ first: from, last: hole.first - 1 });
    from = hole.last + 1;
  }
  if (from <= range.last) out.push({ first: from, last: range.last });
  return out;
}
