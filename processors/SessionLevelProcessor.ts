import { type Context, diag } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_CATEGORY, ATTR_EVENT_NAME, ATTR_SEQ, ATTR_SESSION_ID, ATTR_TIER, isCategory } from '../src/attributes.ts';
import { EVENT_CATALOGUE, UNKNOWN_EVENT_SPEC } from '../src/catalogue.ts';
import { DEFAULT_LEVEL, type Level, LEVELS, isLevel, levelRank, parseLevel } from '../src/levels.ts';
import { isValidSessionId } from '../format/sessionId.ts';
import type { SessionAwareProcessor, SessionOpenInfo } from './SessionAwareProcessor.ts';
import { type LinearPattern, compileRedactions, redact } from './redact.ts';

/** Level and seq counter of one session; the facade reads `rank` directly for its cheap check. */
export class SessionState {
  readonly id: string;
  level: Level;
  rank: number;
  seq: number;
  closed = false;
  constructor(id: string, level: Level, seq: number) {
    this.id = id;
    this.level = level;
    this.rank = levelRank(level);
    this.seq = seq;
  }
}

export interface SessionLevelProcessorOptions {
  /** Downstream processors; they only see records that pass the session's level. */
  processors: SessionAwareProcessor[];
  /** Level of a session seen for the first time through the plain OTel API (default `signals`). */
  defaultLevel?: Level;
  /** Per-session level resolution (e.g. CCMUX_SESSION_LOG directives); overrides defaultLevel. */
  levelFor?: (sessionId: string) => Level;
  /** Regular expressions (RE2 syntax, linear time) replaced by [REDACTED] in bodies of input, output and command records. */
  redact?: ReadonlyArray<string | RegExp>;
  /** Copy the event name into the `event.name` attribute (for backends that drop EventName, like Loki). */
  eventNameAttribute?: boolean;
  /** Where records without session.id go (they never reach the session files). Default: counted only. */
  unsessioned?: LogRecordProcessor[];
}

export interface LevelProcessorStats {
  passed: number;
  filtered: number;
  unsessioned: number;
  /** Records whose session.id is not a valid id (counted, reported once per id). */
  rejected: number;
}

const TIER_RANKS: ReadonlyMap<unknown, number> = new Map(LEVELS.map((level) => [level, levelRank(level)]));

/**
 * Applies each session's level to every record, including records emitted through the plain
 * OTel API with a session.id attribute; sets the category, assigns the per-session seq and
 * redacts, then forwards only passing records to the processors it owns.
 */
export class SessionLevelProcessor implements LogRecordProcessor {
  readonly stats: LevelProcessorStats = { passed: 0, filtered: 0, unsessioned: 0, rejected: 0 };
  private readonly sessions = new Map<string, SessionState>();
  private readonly downstream: SessionAwareProcessor[];
  private readonly unsessioned: LogRecordProcessor[];
  private readonly levelFor: (sessionId: string) => Level;
  private readonly redactions: LinearPattern[];
  private readonly eventNameAttribute: boolean;
  private readonly reportedIds = new Set<string>();
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
  }

  /** Register a session (or return it if known), telling downstream processors first. */
  open(sessionId: string, level?: Level, attributes: Record<string, unknown> = {}): SessionState {
    const known = this.sessions.get(sessionId);
    if (known && !known.closed) return known;
    const resolved = level ?? this.levelFor(sessionId);
    const info: SessionOpenInfo = { level: resolved, attributes };
    let lastSeq = 0;
    for (const processor of this.downstream) {
      const opened = processor.openSession?.(sessionId, info);
      if (opened && opened.lastSeq > lastSeq) lastSeq = opened.lastSeq;
    }
    const state = new SessionState(sessionId, resolved, lastSeq);
    this.sessions.set(sessionId, state);
    return state;
  }

  session(sessionId: string): SessionState | undefined {
    return this.sessions.get(sessionId);
  }

  /** Change a session's level; every record processed after this returns sees the new level. */
  setLevel(sessionId: string, level: Level, by = 'api'): { previous: Level; level: Level } {
    const state = this.sessions.get(sessionId);
    if (!state || state.closed) throw new Error(`session ${sessionId} is not open`);
    if (!isLevel(level)) parseLevel(level, `setLevel(${sessionId})`);
    const previous = state.level;
    state.level = level;
    state.rank = levelRank(level);
    for (const processor of this.downstream) processor.sessionLevelChanged?.(sessionId, previous, level, by);
    return { previous, level };
  }

  /** End a session: later records for it are handled as for a new session. */
  async close(sessionId: string): Promise<void> {
    const state = this.sessions.get(sessionId);
    if (!state || state.closed) return;
    state.closed = true;
    this.sessions.delete(sessionId);
    await Promise.all(this.downstream.map((processor) => processor.closeSession?.(sessionId)));
  }

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    const attributes = record.attributes;
    const sessionId = attributes[ATTR_SESSION_ID];
    if (typeof sessionId !== 'string') {
      this.stats.unsessioned++;
      for (const processor of this.unsessioned) processor.onEmit(record, context);
      return;
    }
    let state = this.sessions.get(sessionId);
    if (state === undefined) {
      if (!isValidSessionId(sessionId)) return this.reject(sessionId);
      state = this.open(sessionId);
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
    record.setAttribute(ATTR_SEQ, ++state.seq);
    if (this.eventNameAttribute && record.eventName) record.setAttribute(ATTR_EVENT_NAME, record.eventName);
    if (this.redactions.length > 0) {
      const redactable = (spec ?? EVENT_CATALOGUE.get(record.eventName ?? ''))?.redact;
      if (redactable && typeof record.body === 'string') record.setBody(redact(record.body, this.redactions));
    }
    this.stats.passed++;
    for (const processor of this.downstream) processor.onEmit(record, context);
  }

  private reject(sessionId: string): void {
    this.stats.rejected++;
    if (this.reportedIds.size < 100 && !this.reportedIds.has(sessionId)) {
      this.reportedIds.add(sessionId);
      diag.warn(`SessionLevelProcessor: record with invalid session.id ${JSON.stringify(sessionId.slice(0, 140))} not written; allowed: 1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`);
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.downstream, ...this.unsessioned].map((processor) => processor.forceFlush()));
  }

  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
      await Promise.all([...this.downstream, ...this.unsessioned].map((processor) => processor.shutdown()));
    })();
    return this.shutdownOnce;
  }
}
