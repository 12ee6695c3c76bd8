import type { SessionLogging } from '../../src/SessionLogging.ts';

export interface SteadyLoad {
  /** Records emitted so far. */
  readonly emitted: number;
  /** Stops emitting; resolves once the last tick is done. */
  stop(): Promise<void>;
}

/**
 * Emits about `perSecond` records, round-robin over the open sessions `ids` (every 4th an
 * audit `input`, the rest `output`), in ticks of 10 ms, until stopped. It shapes the load
 * only: tests wait for conditions, never for this rate.
 */
export function steadyLoad(logging: SessionLogging, ids: string[], perSecond: number): SteadyLoad {
  const perTick = Math.max(1, Math.round(perSecond / 100));
  let emitted = 0;
  let stopped = false;
  let resolveDone: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const tick = () => {
    if (stopped) return resolveDone();
    for (let i = 0; i < perTick; i++) {
      const id = ids[emitted % ids.length]!;
      const n = emitted++;
      logging.get(id)!.emit(n % 4 === 0 ? 'input' : 'output', `${id} steady ${n}\n`, { n });
    }
    setTimeout(tick, 10);
  };
  tick();
  return {
    get emitted() {
      return emitted;
    },
    stop() {
      stopped = true;
      return done;
    },
  };
}
