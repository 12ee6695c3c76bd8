/**
 * Attribute keys this library puts on OTel log records. `session.id` is the only one a
 * caller of the plain OTel API must set; the others are set by the facade or the processor.
 */
export const ATTR_SESSION_ID = 'session.id';
/** Tier of the event (spawns | signals | prompts | full). */
export const ATTR_TIER = 'session.log.tier';
/** audit | system: which file the record goes to. */
export const ATTR_CATEGORY = 'session.log.category';
/** Per-session sequence number shared by both files, assigned by SessionLevelProcessor. */
export const ATTR_SEQ = 'session.log.seq';

/**
 * The event name again as an attribute, set only when forwarding over OTLP: Loki's OTLP
 * intake drops the record's EventName field but keeps attributes (as structured metadata).
 */
export const ATTR_EVENT_NAME = 'event.name';

/** Keys that become top-level fields of a JSONL line rather than entries of `attrs`. */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR_SESSION_ID,
  ATTR_TIER,
  ATTR_CATEGORY,
  ATTR_SEQ,
  ATTR_EVENT_NAME,
]);

export const CATEGORIES = ['audit', 'system'] as const;
export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: unknown): value is Category {
  return value === 'audit' || value === 'system';
}
