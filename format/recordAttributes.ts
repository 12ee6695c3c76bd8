/**
 * Attribute keys this library puts on OTel log records. `session.id` is the only one a
 * caller of the plain OTel API must set; the others are set by the facade or the processor.
 * They become fields of the JSONL line, not entries of its `attrs`.
 */
export const ATTR_SESSION_ID = 'session.id';
/** Tier of the event (spawns | signals | prompts | full). */
export const ATTR_TIER = 'session.log.tier';
/** audit | system: which file the record goes to. */
export const ATTR_CATEGORY = 'session.log.category';
/** Per-session sequence number shared by both files, handed out by the session store. */
export const ATTR_SEQ = 'session.log.seq';
/**
 * The event name again as an attribute, set only when forwarding over OTLP: Loki's OTLP
 * intake drops the record's EventName field but keeps attributes (as structured metadata).
 */
export const ATTR_EVENT_NAME = 'event.name';

/** Keys that become fields of a JSONL line rather than entries of `attrs`. */
export const LINE_FIELD_ATTRIBUTES: ReadonlySet<string> = new Set([ATTR_SESSION_ID, ATTR_TIER, ATTR_CATEGORY, ATTR_SEQ, ATTR_EVENT_NAME]);
