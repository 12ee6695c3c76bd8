import type { AnyValue, Attributes } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR_CATEGORY, ATTR_SEQ, ATTR_TIER, RESERVED_ATTRIBUTES } from '../src/attributes.ts';
import { formatTimestamp } from './formatTimestamp.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const quoted = new Map<string, string>();

/** JSON of short strings that repeat on every line (event names, tiers), built once. */
function quote(value: string): string {
  let json = quoted.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    if (quoted.size < 10000) quoted.set(value, json);
  }
  return json;
}

/** `"body":...` and, for bytes that are not UTF-8, `"body_encoding":"base64"`. */
function formatBody(body: AnyValue | undefined): string {
  if (typeof body === 'string') return '"body":' + JSON.stringify(body);
  if (body === undefined || body === null) return '"body":null';
  if (body instanceof Uint8Array) {
    try {
      return '"body":' + JSON.stringify(utf8.decode(body));
    } catch {
      return '"body":"' + Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64') + '","body_encoding":"base64"';
    }
  }
  return '"body":' + JSON.stringify(body, binaryAsBase64);
}

function binaryAsBase64(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
}

function formatAttributes(attributes: Attributes): string {
  let out = '{';
  const keys = Object.keys(attributes); // faster than for-in over the SDK's attribute object
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (RESERVED_ATTRIBUTES.has(key)) continue;
    const value = attributes[key];
    if (value === undefined) continue;
    if (out.length > 1) out += ',';
    out += quote(key) + ':';
    if (typeof value === 'string') out += JSON.stringify(value);
    else if (typeof value === 'number' && Number.isFinite(value)) out += String(value);
    else out += JSON.stringify(value, binaryAsBase64) ?? 'null';
  }
  return out + '}';
}

/**
 * One JSONL line for a record that passed SessionLevelProcessor, without the closing brace,
 * so an audit writer can append `,"chain":"..."`. Keys in the order of docs/architecture.md.
 */
export function formatLineOpen(record: ReadableLogRecord, sessionId: string): string {
  const attributes = record.attributes;
  const severity = record.severityText ?? (record.severityNumber !== undefined ? String(record.severityNumber) : 'INFO');
  let line =
    '{"ts":"' + formatTimestamp(record.hrTime) +
    '","seq":' + (attributes[ATTR_SEQ] as number) +
    ',"session_id":"' + sessionId +
    '","event":' + quote(record.eventName ?? '') +
    ',"category":' + quote(attributes[ATTR_CATEGORY] as string) +
    ',"tier":' + quote(attributes[ATTR_TIER] as string) +
    ',"severity":' + quote(severity) +
    ',' + formatBody(record.body) +
    ',"attrs":' + formatAttributes(attributes);
  const span = record.spanContext;
  if (span) line += ',"trace_id":"' + span.traceId + '","span_id":"' + span.spanId + '"';
  return line;
}
