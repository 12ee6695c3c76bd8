const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  KIB: 1024,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
};

export const SIZE_ALLOWED = 'a positive byte count or a string like "256KB", "10MB", "1GB" (units B, KB, MB, GB; 1KB = 1024 bytes)';

/** Parse "10MB" style sizes (binary units). Returns undefined when the value is not a size. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = UNITS[(match[2] || 'B').toUpperCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}
