import { type Context, type HrTime, diag } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_CATEGORY, ATTR_EVENT_NAME, ATTR_SEQ, ATTR_SESSION_ID, ATTR_TIER, isCategory } from '../src/attributes.ts';
import { EVENT_CATALOGUE, UNKNOWN_EVENT_SPEC } from '../src/catalogue.ts';
import { DEFAULT_LEVEL, type Level, LEVELS, isLevel, levelRank, parseLevel } from '../src/levels.ts';
import { SESSION_ID_ALLOWED, isValidSessionId } from '../format/sessionId.ts';
import type { SessionStore } from '../storage/SessionStore.ts';
import type { StoredSession } from '../storage/StoredSession.ts';
import { LevelChangeRecord, type RecordOrigin } from './LevelChangeRecord.ts';
import { SessionFileProcessor } from './SessionFileProcessor.ts';
import { type LinearPattern, compileRedactions, redact } from './redact.ts';

const TIER_RANKS: ReadonlyMap<unknown, number> = new Map(LEVELS.map((level) => [level, levelRank(level)]));

/** Level and seq source of one session; the facade reads `rank` directly for its cheap check. */
export class SessionState {
  readonly id: string;
  level: Level;
  rank: number;
  closed = false;
  /** The session in the store, which hands out seqs; undefined when no store is attached. */
  readonly stored: StoredSession | undefined;
  private counter = 0;

  constructor(id: string, level: Level, stored: StoredSession | undefined) {
    this.id = id;
    this.level = level;
    this.rank = levelRank(level);
    this.stored = stored;
  }

  nextSeq(): number {
    return this.stored !== undefined ? this.stored.nextSeq() : ++this.counter;
  }

  /** Last seq handed out. */
  get seq(): number {
    return this.stored !== undefined ? this.stored.seq : this.counter;
  }
}

export interface SessionLevelProcessorOptions {
  /** Downstream processors; they only see records that pass the session's level. */
  processors: LogRecordProcessor[];
  /**
   * The session store that hands out seqs (and learns each session's level). Default: the
   * store of a SessionFileProcessor among `processors`. Give it when the file writer sits
   * behind a wrapper, e.g. `BatchLogRecordProcessor({ exporter: new SessionJsonlExporter({ store }) })`.
   */
  store?: SessionStore | undefined;
  /** Level of a session seen for the first time through the plain OTel API (default `signals`). */
  defaultLevel?: Level | undefined;
  /** Per-session level resolution (e.g. CCMUX_SESSION_LOG directives); overrides defaultLevel. */
  levelFor?: ((sessionId: string) => Level) | undefined;
  /** Regular expressions (RE2 syntax, linear time) replaced by [REDACTED] in bodies of input, output and command records. */
  redact?: ReadonlyArray<string | RegExp> | undefined;
  /** Copy the event name into the `event.name` attribute (for backends that drop EventName, like Loki). */
  eventNameAttribute?: boolean | undefined;
  /** Where records without session.id go (they never reach the session files). Default: counted only. */
  unsessioned?: LogRecordProcessor[] | undefined;
  /** Resource and scope of the log_level.changed records this processor writes itself (default: those of the last record seen). */
  origin?: RecordOrigin | undefined;
  /** The time of the records this processor writes itself (default: now). */
  now?: (() => HrTime) | undefined;
}

export interface LevelProcessorStats {
  passed: number;
  /** Records the level left out (here and, for the facade, before any record existed). */
  filtered: number;
  unsessioned: number;
  /** Records whose session.id is not a valid id (counted, reported once per id). */
  rejected: number;
  /** Records that arrived after shutdown, or for a closed session (counted, not written). */
  late: number;
  /** Exceptions thrown by downstream processors on a record (caught; the first is reported). */
  errors: number;
}

/**
 * Applies each session's level to every record, including records emitted through the plain
 * OTel API with a session.id attribute; sets the category, takes the seq from the session
 * store and redacts, then forwards only passing records to the processors it owns. Level
 * changes go through here (both ways in), and each writes a log_level.changed record.
 */
export class SessionLevelProcessor implements LogRecordProcessor {
  readonly stats: LevelProcessorStats = { passed: 0, filtered: 0, unsessioned: 0, rejected: 0, late: 0, errors: 0 };
  readonly store: SessionStore | undefined;
  private readonly sessions = new Map<string, SessionState>();
  private readonly downstream: LogRecordProcessor[];
  private readonly unsessioned: LogRecordProcessor[];
  private readonly levelFor: (sessionId: string) => Level;
  readonly redactions: readonly LinearPattern[];
  private readonly eventNameAttribute: boolean;
  private readonly reportedIds = new Set<string>();
  private origin: RecordOrigin | undefined;
  private readonly now: () => HrTime;
  private shutdownOnce: Promise<void> | undefined;

  constructor(options: SessionLevelProcessorOptions) {
    if (!options || !Array.isArray(options.processors)) {
      throw new TypeError('SessionLevelProcessor: options.processors must be an array of LogRecordProcessor (the downstream processors)');
    }
    const defaultLevel = options.defaultLevel === undefined ? DEFAULT_LEVEL : parseLevel(options.defaultLevel, 'SessionLevelProcessor: options.defaultLevel');
    this.downstream = options.processors;
    this.unsessioned = options.unsessioned ?? [];
    this.levelFor = options.levelFor ?? (() => defaultLevel);
    this.redactions = compileRedactions(options.redact ?? [], 'SessionLevelProcessor: options.redact');
    this.eventNameAttribute = options.eventNameAttribute ?? false;
    this.origin = options.origin;
    this.now = options.now ?? hrTime;
    this.store = options.store ?? options.processors.find((p): p is SessionFileProcessor => p instanceof SessionFileProcessor)?.store;
  }

  get closed(): boolean {
    return this.shutdownOnce !== undefined;
  }

  /** Register a session (or return it if open): the store opens its files and continues its seq. */
  open(sessionId: string, level?: Level, attributes: Record<string, unknown> = {}): SessionState {
    const known = this.sessions.get(sessionId);
    if (known && !known.closed) return known;
    if (this.closed) throw new Error(`SessionLevelProcessor: session ${sessionId} cannot be opened: the processor was shut down; allowed: open sessions before shutdown()`);
    const resolved = level ?? this.levelFor(sessionId);
    const stored = this.store?.open(sessionId, { level: resolved, attributes });
    const state = new SessionState(sessionId, resolved, stored);
    this.sessions.set(sessionId, state);
    return state;
  }

  session(sessionId: string): SessionState | undefined {
    return this.sessions.get(sessionId);
  }

  /**
   * Change a session's level; every record processed after this returns sees the new level.
   * Writes log_level.changed (from, to, by) through the same path as every record.
   */
  setLevel(sessionId: string, level: Level, by = 'api'): { previous: Level; level: Level; seq: number } {
    const state = this.sessions.get(sessionId);
    if (!state || state.closed) throw new Error(`session ${sessionId} is not open; allowed: a session opened through this processor`);
    const next = parseLevel(level, `setLevel(${sessionId})`);
    const previous = state.level;
    state.level = next;
    state.rank = levelRank(next);
    state.stored?.levelChanged(previous, next, by);
    const spec = EVENT_CATALOGUE.get('log_level.changed')!;
    this.onEmit(new LevelChangeRecord(this.origin, this.now(), spec, `log level ${previous} -> ${next}`, {
      [ATTR_SESSION_ID]: sessionId, [ATTR_TIER]: spec.tier, [ATTR_CATEGORY]: spec.category, [ATTR_SEQ]: 0, from: previous, to: next, by,
    }));
    return { previous, level: next, seq: state.seq };
  }

  /** End a session: its files are closed; later records for it open it again. */
  async close(sessionId: string): Promise<void> {
    const state = this.sessions.get(sessionId);
    if (!state || state.closed) return;
    state.closed = true;
    this.sessions.delete(sessionId);
    // Records handed a seq that have not reached the store sit in a downstream queue (a batching processor): let them arrive first.
    if (state.stored?.inFlight) await Promise.all(this.downstream.map((processor) => processor.forceFlush()));
    await this.store?.close(sessionId);
  }

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    if (this.closed) {
      this.stats.late++;
      return;
    }
    this.origin ??= { resource: record.resource, instrumentationScope: record.instrumentationScope };
    const attributes = record.attributes;
    const sessionId = attributes[ATTR_SESSION_ID];
    if (typeof sessionId !== 'string') {
      this.stats.unsessioned++;
      for (const processor of this.unsessioned) processor.onEmit(record, context);
      return;
    }
    let state = this.sessions.get(sessionId);
    if (state === undefined) {
      if (!isValidSessionId(sessionId)) return this.reject(sessionId, `allowed: ${SESSION_ID_ALLOWED}`);
      try {
        state = this.open(sessionId);
      } catch (error) {
        return this.reject(sessionId, (error as Error).message);
      }
    }
    let rank = TIER_RANKS.get(attributes[ATTR_TIER]);
    let spec;
    if (rank === undefined) {
      // A record from the plain OTel API: tier and category come from the catalogue.
      spec = EVENT_CATALOGUE.get(record.eventName ?? '') ?? UNKNOWN_EVENT_SPEC;
      rank = spec.rank;
      record.setAttribute(ATTR_TIER, spec.tier);
    }
    if (rank > state.rank) {
      this.stats.filtered++;
      return;
    }
    if (!isCategory(attributes[ATTR_CATEGORY])) {
      spec ??= EVENT_CATALOGUE.get(record.eventName ?? '') ?? UNKNOWN_EVENT_SPEC;
      record.setAttribute(ATTR_CATEGORY, spec.category);
    }
    record.setAttribute(ATTR_SEQ, state.nextSeq());
    if (this.eventNameAttribute && record.eventName) record.setAttribute(ATTR_EVENT_NAME, record.eventName);
    if (this.redactions.length > 0 && typeof record.body === 'string' && (spec ?? EVENT_CATALOGUE.get(record.eventName ?? ''))?.redact) {
      record.setBody(redact(record.body, this.redactions));
    }
    this.stats.passed++;
    for (const processor of this.downstream) {
      // One processor's exception must not reach the caller of emit, nor keep the others from the record.
      try {
        processor.onEmit(record, context);
      } catch (error) {
        this.stats.errors++;
        if (this.stats.errors === 1) diag.error(`SessionLevelProcessor: a downstream processor threw on a record (counted as errors, reported once): ${(error as Error).message}`);
      }
    }
  }

  private reject(sessionId: string, why: string): void {
    this.stats.rejected++;
    if (this.reportedIds.size < 100 && !this.reportedIds.has(sessionId)) {
      this.reportedIds.add(sessionId);
      diag.warn(`SessionLevelProcessor: record with session.id ${JSON.stringify(sessionId.slice(0, 140))} not written: ${why}`);
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.downstream, ...this.unsessioned].map((processor) => processor.forceFlush()));
  }

  /** Close every session, then shut the downstream processors down; later records are counted as late. */
  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
      await Promise.all([...this.downstream, ...this.unsessioned].map((processor) => processor.shutdown()));
    })();
    return this.shutdownOnce;
  }
}
