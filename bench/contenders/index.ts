import type { Contender } from '../workload.ts';

type Factory = (dir: string, sessions: number) => Contender;

/**
 * Every contender by its name in the report. Loaded only in the child process that runs it,
 * so no contender's modules weigh on another's memory.
 */
export const CONTENDERS: Record<string, () => Promise<{ create: Factory }>> = {
  raw: () => import('./raw.ts'),
  ours: () => import('./ours.ts'),
  ours_sdk: () => import('./oursSdk.ts'),
  ours_audit: () => import('./oursAudit.ts'),
  pino: () => import('./pino.ts'),
  otel_stock: () => import('./otelStock.ts'),
};

/** Contenders that write session.created (seq 1) and session.terminated (last seq) around the workload. */
export const LIFECYCLE_LINES: Record<string, number> = { ours: 2, ours_sdk: 2, ours_audit: 2 };
