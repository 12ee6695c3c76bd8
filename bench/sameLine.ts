import { appendChain, nextChain } from '../format/auditChain.ts';
import { formatTimestamp } from '../format/formatTimestamp.ts';

/**
 * The line every contender writes, as the library writes it (format/formatLine.ts):
 *   {"ts":"<ISO, 9 digits>","seq":N,"session_id":"s0","event":"output","category":"system",
 *    "tier":"full","severity":"INFO","body":"...","attrs":{...}}
 * and audit lines closed with `,"chain":"<sha256(previous chain + line)>"}` as
 * format/auditChain.ts computes it. Built here by plain concatenation, for the contenders
 * that are not the library (raw, and the stock OTel SDK's exporter); pino builds it with its
 * own serializer and hooks (contenders/pino.ts).
 */

/** `,"session_id":...,"event":...,"category":...,"tier":...,"severity":...,"body":`: fixed per session and event. */
export function fieldsPart(sessionId: string, event: string, category: string, tier: string, severity: string): string {
  return ',"session_id":' + JSON.stringify(sessionId) + ',"event":' + JSON.stringify(event) + ',"category":' + JSON.stringify(category)
    + ',"tier":' + JSON.stringify(tier) + ',"severity":' + JSON.stringify(severity) + ',"body":';
}

/** The line without its closing brace. */
export function openLine(ts: string, seq: number, fields: string, bodyJson: string, attrsJson: string): string {
  return '{"ts":"' + ts + '","seq":' + seq + fields + bodyJson + ',"attrs":' + attrsJson;
}

/** Close an open line: system lines with `}`, audit lines with their chain value. */
export function closeLine(open: string, chain: { head: string } | undefined): string {
  if (chain === undefined) return open + '}\n';
  chain.head = nextChain(chain.head, open + '}');
  return appendChain(open, chain.head) + '\n';
}

/** Now, in the line's timestamp format (millisecond clock: as cheap as it gets). */
export function timestampNow(): string {
  const ms = Date.now();
  return formatTimestamp([Math.floor(ms / 1000), (ms % 1000) * 1e6]);
}
