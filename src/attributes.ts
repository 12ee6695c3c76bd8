export { ATTR_SESSION_ID, ATTR_TIER, ATTR_CATEGORY, ATTR_SEQ, ATTR_EVENT_NAME, LINE_FIELD_ATTRIBUTES } from '../format/recordAttributes.ts';

export const CATEGORIES = ['audit', 'system'] as const;
/** audit: what a user did; system: what the machine did. */
export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: unknown): value is Category {
  return value === 'audit' || value === 'system';
}
