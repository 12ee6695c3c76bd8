/** Session ids become directory names, so anything that could escape the root is refused. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a session id may be, for every message that refuses one. */
export const SESSION_ID_ALLOWED = '1-128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit';

export function isValidSessionId(id: unknown): id is string {
  return typeof id === 'string' && SESSION_ID_PATTERN.test(id) && id !== '.' && id !== '..';
}

export function assertSessionId(id: unknown, where = 'session id'): string {
  if (isValidSessionId(id)) return id;
  const shown = typeof id === 'string' ? JSON.stringify(id.length > 40 ? id.slice(0, 40) + '...' : id) : String(id);
  const length = typeof id === 'string' ? ` (${id.length} chars)` : '';
  throw new RangeError(
    `${where}: invalid session id ${shown}${length}; allowed: ${SESSION_ID_ALLOWED}`,
  );
}
