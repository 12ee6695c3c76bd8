/**
 * Whether a value is an OTel AnyValue (a string, number, boolean, null, bytes, or an array
 * or plain object of them without cycles), exactly as @opentelemetry/core's isAnyValue
 * decides, which the SDK applies to a record's attributes: a line written without an SDK
 * record keeps and drops the same attributes. Here so that writing files does not load
 * the SDK (src/lazyModules.ts); test/format/anyValue.test.ts holds it to core's answer.
 */
export function isAnyValue(value: unknown): boolean {
  return check(value, new WeakSet());
}

function check(value: unknown, visited: WeakSet<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null || value instanceof Uint8Array) return true;
  if (visited.has(value)) return false;
  visited.add(value);
  const valid = checkContents(value, visited);
  visited.delete(value);
  return valid;
}

function checkContents(value: object, visited: WeakSet<object>): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== undefined && !check(item, visited)) return false;
    return true;
  }
  if (value.constructor !== Object && value.constructor !== undefined) return false;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined && !check(item, visited)) return false;
  }
  return true;
}
