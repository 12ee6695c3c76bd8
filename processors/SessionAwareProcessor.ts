import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { Level } from '../src/levels.ts';

/** What SessionLevelProcessor tells a downstream processor when a session opens. */
export interface SessionOpenInfo {
  level: Level;
  attributes: Record<string, unknown>;
}

/**
 * A downstream processor that wants to know about sessions (the JSONL file processor does).
 * All hooks are optional, so any LogRecordProcessor can be a downstream.
 */
export interface SessionAwareProcessor extends LogRecordProcessor {
  /** Called once per session before its first record; returns the last seq already stored. */
  openSession?(sessionId: string, info: SessionOpenInfo): { lastSeq: number } | void;
  sessionLevelChanged?(sessionId: string, from: Level, to: Level, by: string): void;
  /** The session ended: flush and close what belongs to it. */
  closeSession?(sessionId: string): Promise<void>;
}
