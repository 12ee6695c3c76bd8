/**
 * Session verbosity levels (tiers), lowest to highest. A session at level L records every
 * event whose tier is <= L. The rank is the index, so a level check is one integer compare.
 */
export const LEVELS = ['spawns', 'signals', 'prompts', 'full'] as const;

export type Level = (typeof LEVELS)[number];

export const DEFAULT_LEVEL: Level = 'signals';

const RANKS: ReadonlyMap<string, number> = new Map(LEVELS.map((level, rank) => [level, rank]));

export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && RANKS.has(value);
}

/** Rank of a level (spawns = 0 ... full = 3). */
export function levelRank(level: Level): number {
  return RANKS.get(level) as number;
}

/** Parse a level, or throw an error naming where the value came from and what is allowed. */
export function parseLevel(value: unknown, where: string): Level {
  if (isLevel(value)) return value;
  throw new RangeError(
    `${where}: unknown level ${JSON.stringify(value)}; allowed: ${LEVELS.join(', ')}`,
  );
}
