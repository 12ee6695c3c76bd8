import { type AnyValue, type Attributes, type HrTime, type Logger, context, isSpanContextValid, trace } from '@opentelemetry/api';
import { eventPart } from '../format/formatLine.ts';
import { timeInputToHrTime } from './clock.ts';
import { formatTimestamp } from '../format/formatTimestamp.ts';
import type { LevelProcessorStats, SessionLevelProcessor, SessionState } from '../processors/SessionLevelProcessor.ts';
import { redact } from '../processors/redact.ts';
import type { StoredSession } from '../storage/StoredSession.ts';
import { ATTR_CATEGORY, ATTR_EVENT_NAME, ATTR_SEQ, ATTR_SESSION_ID, ATTR_TIER, type Category, isCategory, LINE_FIELD_ATTRIBUTES } from './attributes.ts';
import { EVENT_CATALOGUE, type EventSpec, customEventSpec } from './catalogue.ts';
import { type Level, isLevel, parseLevel } from './levels.ts';

/** For events outside the catalogue: the tier is required, the category defaults to system. */
export interface EmitOptions {
  tier?: Level;
  category?: Category;
  /** Event time in ms since the epoch (default: now). */
  timestamp?: number;
}

export type { Attributes };

/** How a logger writes: straight to the store when the files are the only destination, else through the OTel SDK. */
export interface LoggerRoute {
  /** The session in the store, when the files are the only destination (no SDK record is built). */
  direct: StoredSession | undefined;
  /** The SDK logger otherwise (records go through SessionLevelProcessor). */
  sdk: Logger | undefined;
  /** Also set event.name (forwarding to a backend that drops EventName). */
  eventNameAttribute: boolean;
  /** The time of a record emitted without one, for the SDK route ... */
  now: () => HrTime;
  /** ... and as the line's `ts`, for the direct route. */
  timestamp: () => string;
}

function activeSpan() {
  const span = trace.getSpanContext(context.active());
  return span !== undefined && isSpanContextValid(span) ? span : undefined;
}

/**
 * One session's logger. `emit` checks the session's level before any record exists, so a
 * filtered-out event costs a Map lookup and an integer compare. When the session files are
 * the only destination, a passing record goes straight to the session store, written as
 * the same line the SDK path would write; otherwise it is emitted through the OTel SDK.
 */
export class SessionLogger {
  readonly id: string;
  private readonly state: SessionState;
  private readonly levels: SessionLevelProcessor;
  private readonly stats: LevelProcessorStats;
  private readonly route: LoggerRoute;
  private readonly onClose: (logger: SessionLogger) => Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(state: SessionState, levels: SessionLevelProcessor, route: LoggerRoute, onClose: (logger: SessionLogger) => Promise<void>) {
    this.id = state.id;
    this.state = state;
    this.levels = levels;
    this.stats = levels.stats;
    this.route = route;
    this.onClose = onClose;
  }

  get level(): Level {
    return this.state.level;
  }

  get closed(): boolean {
    return this.state.closed || this.closing !== undefined;
  }

  /** Last seq handed out in this session. */
  get seq(): number {
    return this.state.seq;
  }

  /** Would `event` be recorded at the current level? */
  isEnabled(event: string, tier?: Level): boolean {
    const spec = EVENT_CATALOGUE.get(event);
    const rank = spec ? spec.rank : tier !== undefined && isLevel(tier) ? customEventSpec(tier).rank : undefined;
    return rank !== undefined && rank <= this.state.rank && !this.closed;
  }

  /**
   * Record `event` with `body` and attributes if the session's level includes it. Returns
   * true when it was recorded, false when the level leaves it out or the session is closed
   * (counted as `late`). Unknown events need `options.tier`.
   */
  emit(event: string, body?: AnyValue, attributes?: Attributes, options?: EmitOptions): boolean {
    let spec: EventSpec | undefined = EVENT_CATALOGUE.get(event);
    if (spec === undefined) spec = this.customSpec(event, options);
    if (spec.rank > this.state.rank) {
      this.stats.filtered++;
      return false;
    }
    if (this.state.closed || this.closing !== undefined) {
      this.stats.late++;
      return false;
    }
    const category = options?.category ?? spec.category;
    const stored = this.route.direct;
    if (stored !== undefined) {
      const eventJson = category === spec.category && spec.eventJson !== undefined ? spec.eventJson : eventPart(event, category, spec.tier, spec.severityText);
      const ts = options?.timestamp === undefined ? this.route.timestamp() : formatTimestamp(timeInputToHrTime(options.timestamp));
      const redactions = this.levels.redactions;
      const written = spec.redact && redactions.length > 0 && typeof body === 'string' ? redact(body, redactions) : body;
      stored.append(stored.nextSeq(), ts, eventJson, category === 'audit', written, attributes, activeSpan());
      this.stats.passed++;
      return true;
    }
    // The library's attributes first: the SDK keeps the first 128 of a record, and these must be among them.
    const attrs: Attributes = { [ATTR_SESSION_ID]: this.id, [ATTR_TIER]: spec.tier, [ATTR_CATEGORY]: category, [ATTR_SEQ]: 0 };
    if (this.route.eventNameAttribute) attrs[ATTR_EVENT_NAME] = event;
    if (attributes !== undefined) {
      for (const key of Object.keys(attributes)) if (!LINE_FIELD_ATTRIBUTES.has(key)) attrs[key] = attributes[key];
    }
    this.route.sdk!.emit({
      eventName: event, body, severityNumber: spec.severityNumber, severityText: spec.severityText, attributes: attrs,
      timestamp: options?.timestamp ?? this.route.now(),
    });
    return true;
  }

  private customSpec(event: string, options: EmitOptions | undefined): EventSpec {
    if (typeof event !== 'string' || event === '') throw new TypeError(`emit: event must be a non-empty string, got ${JSON.stringify(event)}`);
    if (options?.tier === undefined) {
      throw new RangeError(`emit: unknown event ${JSON.stringify(event)}; give options.tier (spawns, signals, prompts, full) or use a catalogue event: ${[...EVENT_CATALOGUE.keys()].join(', ')}`);
    }
    const tier = parseLevel(options.tier, `emit(${event}): options.tier`);
    if (options.category !== undefined && !isCategory(options.category)) {
      throw new RangeError(`emit(${event}): options.category ${JSON.stringify(options.category)} is not allowed; allowed: audit, system`);
    }
    return customEventSpec(tier, options.category);
  }

  /**
   * Change the level at once: every record emitted after this returns uses `level`, none
   * before. Records `log_level.changed` (from, to, by) and appends to the level history.
   */
  setLevel(level: Level, options: { by?: string } = {}): { previous: Level; level: Level } {
    const next = parseLevel(level, `setLevel(${this.id})`);
    if (this.closed) throw new Error(`session ${this.id} is closed; cannot change its level`);
    const { previous } = this.levels.setLevel(this.id, next, options.by ?? 'api');
    return { previous, level: next };
  }

  /**
   * Resolves when every record this session emitted so far is on disk as the durability
   * mode promises: in `audit` (the default) audit records are fdatasync'ed, in `all` every
   * record, in `none` written to the OS. Anything that acknowledges a record (an HTTP 202
   * for an input) awaits this first. Rejects (code EDROPPED) if records could not be
   * written meanwhile; they are counted and their seqs recorded in metadata.json.
   */
  flush(): Promise<void> {
    return this.state.stored?.flush() ?? Promise.resolve();
  }

  /** Merge `metadata` into metadata.json's `attributes` (e.g. the pid once a process runs). */
  setMetadata(metadata: Record<string, string | number | boolean>): void {
    if (this.closed) throw new Error(`session ${this.id} is closed; cannot change its metadata`);
    this.state.stored?.setAttributes(metadata);
  }

  /** Record session.terminated, flush this session's files and write ended_at. */
  close(attributes?: Attributes): Promise<void> {
    if (!this.closing) {
      if (!this.state.closed) {
        const reason = attributes?.reason;
        this.emit('session.terminated', typeof reason === 'string' ? `session ${this.id} terminated (${reason})` : `session ${this.id} terminated`, attributes);
      }
      this.closing = this.onClose(this);
    }
    return this.closing;
  }
}
