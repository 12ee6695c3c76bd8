import type { Attributes, SpanContext } from '@opentelemetry/api';
import { isAnyValue } from './anyValue.ts';
import { LINE_FIELD_ATTRIBUTES } from './recordAttributes.ts';

/**
 * The one JSONL line of a record, keys in this order: ts, seq, session_id, event, category,
 * tier, severity, body (body_encoding), attrs, trace_id/span_id, chain. This module is the
 * only place that knows the order: the writer builds lines here and crash recovery reads
 * a line's seq back with seqOfLine().
 */

/**
 * An OTel SDK log record keeps at most 128 attributes by default. The facade's provider
 * allows 128 of the caller's on top of the library's own, so a line keeps at most 128 of
 * the caller's attributes whichever way the record came.
 */
export const MAX_LINE_ATTRIBUTES = 128;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const quoted = new Map<string, string>();

/** JSON of short strings that repeat on every line (attribute keys), built once. */
function quote(value: string): string {
  let json = quoted.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    if (quoted.size < 10000) quoted.set(value, json);
  }
  return json;
}

function binaryAsBase64(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return typeof value === 'bigint' ? value.toString() : value;
}

/** JSON of a body that may not be JSON at all (a cycle): then its String(), so a line is always written. */
function bodyJson(body: unknown): string {
  try {
    return JSON.stringify(body, binaryAsBase64) ?? 'null';
  } catch {
    return JSON.stringify(String(body));
  }
}

/**
 * The body's JSON (`"<text>"`, or `"<base64>","body_encoding":"base64"` for bytes that are
 * not UTF-8: the caller writes `"body":` before it).
 */
function formatBody(body: unknown): string {
  if (typeof body === 'string') return JSON.stringify(body);
  if (body === undefined || body === null) return 'null';
  if (body instanceof Uint8Array) {
    try {
      return JSON.stringify(utf8.decode(body));
    } catch {
      return '"' + Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64') + '","body_encoding":"base64"';
    }
  }
  return bodyJson(body);
}

/**
 * `attrs`: the caller's attributes as the OTel SDK keeps them (undefined values, empty
 * keys and values that are not an OTel AnyValue left out, at most MAX_LINE_ATTRIBUTES),
 * so a record written without an SDK record has the same line as one that had it.
 */
function formatAttributes(attributes: Attributes | undefined): string {
  if (attributes === undefined) return '{}';
  if (Object.getPrototypeOf(attributes) !== Object.prototype) return formatAttributesOneByOne(attributes, Object.keys(attributes)); // a toJSON of its class would change JSON.stringify
  // The common case, a few strings, numbers and booleans under keys of the caller's: one
  // JSON.stringify writes exactly what the loop below would (V8's is faster than any loop).
  // for-in, not Object.keys: no array per line (an inherited key only sends it the slow way).
  let count = 0;
  for (const key in attributes) {
    const value = attributes[key];
    const type = typeof value;
    if (!(type === 'string' || type === 'boolean' || type === 'undefined' || (type === 'number' && Number.isFinite(value)))
      || key === '' || LINE_FIELD_ATTRIBUTES.has(key) || ++count > MAX_LINE_ATTRIBUTES) {
      return formatAttributesOneByOne(attributes, Object.keys(attributes));
    }
  }
  return JSON.stringify(attributes);
}

function formatAttributesOneByOne(attributes: Attributes, keys: string[]): string {
  let out = '{';
  let kept = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = attributes[key];
    if (value === undefined || key === '' || LINE_FIELD_ATTRIBUTES.has(key)) continue;
    let json: string;
    if (typeof value === 'string') json = JSON.stringify(value);
    else if (typeof value === 'number') json = Number.isFinite(value) ? String(value) : 'null';
    else if (typeof value === 'boolean') json = value ? 'true' : 'false';
    else if (isAnyValue(value)) json = JSON.stringify(value, binaryAsBase64) ?? 'null';
    else continue;
    if (kept === MAX_LINE_ATTRIBUTES) break;
    if (kept++ > 0) out += ',';
    out += quote(key) + ':' + json;
  }
  return out + '}';
}

/** `,"session_id":"<id>","event":`: the part of every line of one session after seq, built once per session. */
export function sessionPart(sessionId: string): string {
  return ',"session_id":' + JSON.stringify(sessionId) + ',"event":';
}

interface EventPartEntry {
  category: string;
  tier: string;
  severity: string;
  part: string;
}

/** Per event, the parts built for its combinations of category, tier and severity (a few). */
const eventParts = new Map<string, EventPartEntry[]>();

/**
 * `"<event>","category":...,"severity":"...",`: the part after session_id, cached per
 * combination. Looked up by the event, then compared field by field: a key made by
 * concatenating the four cost a new string and its hash per record (~150 ns on the SDK route).
 */
export function eventPart(event: string, category: string, tier: string, severity: string): string {
  let entries = eventParts.get(event);
  if (entries !== undefined) {
    for (const entry of entries) if (entry.category === category && entry.tier === tier && entry.severity === severity) return entry.part;
  }
  const part = JSON.stringify(event) + ',"category":' + JSON.stringify(category) + ',"tier":' + JSON.stringify(tier) + ',"severity":' + JSON.stringify(severity) + ',';
  if (entries === undefined && eventParts.size < 10000) eventParts.set(event, (entries = []));
  if (entries !== undefined && entries.length < 16) entries.push({ category, tier, severity, part });
  return part;
}

/**
 * One line without its closing brace, so an audit line can take `,"chain":"..."` first.
 * `ts` is formatTimestamp(...); `sessionJson` is sessionPart(id); `eventJson` is eventPart(...). Keys in the order of docs/architecture.md.
 */
export function formatLineOpen(ts: string, seq: number, sessionJson: string, eventJson: string, body: unknown, attributes: Attributes | undefined, span: SpanContext | undefined): string {
  let line = '{"ts":"' + ts + '","seq":' + seq + sessionJson + eventJson + '"body":' + formatBody(body) + ',"attrs":' + formatAttributes(attributes);
  if (span !== undefined) line += ',"trace_id":"' + span.traceId + '","span_id":"' + span.spanId + '"';
  return line;
}

/** Close a line that carries no chain (system lines). */
export function closeLine(openLine: string): string {
  return openLine + '}';
}

const SEQ_KEY = '"seq":';

/** The seq of a line this module built (0 when the line has none): seq is the second key, after a fixed-width ts. */
export function seqOfLine(line: string): number {
  const at = line.indexOf(SEQ_KEY);
  if (at === -1 || at > 64) return 0;
  let seq = 0;
  for (let i = at + SEQ_KEY.length; i < line.length; i++) {
    const digit = line.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    seq = seq * 10 + digit;
  }
  return seq;
}
