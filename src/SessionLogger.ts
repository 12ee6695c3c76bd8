import type { AnyValue, Logger } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { SessionLevelProcessor, SessionState } from '../processors/SessionLevelProcessor.ts';
import { ATTR_CATEGORY, ATTR_SESSION_ID, ATTR_TIER, type Category, isCategory } from './attributes.ts';
import { EVENT_CATALOGUE, type EventSpec, customEventSpec } from './catalogue.ts';
import { type Level, isLevel, parseLevel } from './levels.ts';

/** For events outside the catalogue: the tier is required, the category defaults to system. */
export interface EmitOptions {
  tier?: Level;
  category?: Category;
  /** Event time in ms since the epoch (default: now). */
  timestamp?: number;
}

export type Attributes = Record<string, AnyValue>;

/** What a logger asks of the session files (no-ops when files are disabled). */
export interface SessionStorageHooks {
  flush(sessionId: string): Promise<void>;
  setMetadata(sessionId: string, metadata: Record<string, string | number | boolean>): void;
}

/**
 * One session's logger. `emit` checks the session's level before any OTel record exists,
 * so a filtered-out event costs a Map lookup and an integer compare.
 */
export class SessionLogger {
  readonly id: string;
  private readonly state: SessionState;
  private readonly logger: Logger;
  private readonly levels: SessionLevelProcessor;
  private readonly onClose: (logger: SessionLogger) => Promise<void>;
  private readonly counters: { filtered: number };
  private readonly storage: SessionStorageHooks;
  private closing: Promise<void> | undefined;

  constructor(state: SessionState, logger: Logger, levels: SessionLevelProcessor, onClose: (logger: SessionLogger) => Promise<void>, counters: { filtered: number }, storage: SessionStorageHooks) {
    this.counters = counters;
    this.storage = storage;
    this.id = state.id;
    this.state = state;
    this.logger = logger;
    this.levels = levels;
    this.onClose = onClose;
  }

  get level(): Level {
    return this.state.level;
  }

  get closed(): boolean {
    return this.state.closed || this.closing !== undefined;
  }

  /** Last seq assigned in this session. */
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
   * Record `event` with `body` and attributes if the session's level includes it.
   * Returns true when a record was emitted. Unknown events need `options.tier`.
   */
  emit(event: string, body?: AnyValue, attributes?: Attributes, options?: EmitOptions): boolean {
    let spec: EventSpec | undefined = EVENT_CATALOGUE.get(event);
    if (spec === undefined) spec = this.customSpec(event, options);
    if (spec.rank > this.state.rank) {
      this.counters.filtered++;
      return false;
    }
    if (this.closed) throw new Error(`session ${this.id} is closed; cannot emit ${event}`);
    const category = options?.category ?? spec.category;
    const attrs: Attributes = attributes ? { ...attributes } : {};
    attrs[ATTR_SESSION_ID] = this.id;
    attrs[ATTR_TIER] = spec.tier;
    attrs[ATTR_CATEGORY] = category;
    this.logger.emit({
      eventName: event,
      body,
      severityNumber: spec.severityNumber,
      severityText: spec.severityText,
      attributes: attrs,
      timestamp: options?.timestamp ?? hrTime(),
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
    const by = options.by ?? 'api';
    const result = this.levels.setLevel(this.id, next, by);
    this.emit('log_level.changed', `log level ${result.previous} -> ${next}`, { from: result.previous, to: next, by });
    return result;
  }

  /**
   * Resolves when every record this session emitted so far is on disk as the durability
   * mode promises: in `audit` (the default) audit records are fsynced, in `all` every
   * record, in `none` written to the OS. Anything that acknowledges a record (an HTTP 202
   * for an input) awaits this first.
   */
  flush(): Promise<void> {
    return this.storage.flush(this.id);
  }

  /** Merge `metadata` into metadata.json's `attributes` (e.g. the pid once a process runs). */
  setMetadata(metadata: Record<string, string | number | boolean>): void {
    if (this.closed) throw new Error(`session ${this.id} is closed; cannot change its metadata`);
    this.storage.setMetadata(this.id, metadata);
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
