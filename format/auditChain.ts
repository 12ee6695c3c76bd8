import { hash } from 'node:crypto';

/** The chain value that starts every session's audit trail. */
export const CHAIN_GENESIS = '';

/**
 * sha256 over the previous chain value and this line (the line as written, minus its
 * `,"chain":"..."` suffix, closed with `}`). Editing, deleting or reordering an audit
 * line changes every chain value after it.
 */
export function nextChain(previous: string, lineWithoutChain: string): string {
  // The one-shot hash (no Hash object per line) over the two strings as one: the same digest.
  return hash('sha256', previous + lineWithoutChain, 'hex');
}

const CHAIN_KEY = ',"chain":"';

/** Split a written audit line into the text that was hashed and its chain value. */
export function splitChainedLine(line: string): { hashed: string; chain: string } | undefined {
  const at = line.lastIndexOf(CHAIN_KEY);
  if (at === -1 || !line.endsWith('"}')) return undefined;
  return { hashed: line.slice(0, at) + '}', chain: line.slice(at + CHAIN_KEY.length, -2) };
}

/** Close an open line with its chain value. */
export function appendChain(openLine: string, chain: string): string {
  return openLine + CHAIN_KEY + chain + '"}';
}
