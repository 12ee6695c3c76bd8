import type { SessionLogging } from '../../src/SessionLogging.ts';
import { type RunningCollector, collectorBinary } from './otelcol.ts';
import { type RunningVictoriaLogs, victoriaLogsBinary } from './victoriaLogs.ts';

/** What one end-to-end test runs: the store, the Collector, the library. */
export interface RealProcesses {
  store?: RunningVictoriaLogs;
  collector?: RunningCollector;
  logging?: SessionLogging;
}

/**
 * Mocha hooks for the enclosing `describe`: first the Collector and VictoriaLogs binaries
 * (built the first time; a failure fails the tests, never skips them), and after each test
 * the library shut down and the Collector and the store killed, whatever happened.
 */
export function realProcessesPerTest(): RealProcesses {
  const current: RealProcesses = {};
  before(function () {
    this.timeout(900_000);
    collectorBinary();
    victoriaLogsBinary();
  });
  afterEach(async () => {
    await current.logging?.shutdown();
    await current.collector?.kill('SIGKILL');
    await current.store?.kill('SIGKILL');
    current.logging = current.collector = current.store = undefined;
  });
  return current;
}
