import assert from 'node:assert/strict';
import { millisToHrTime as coreMillisToHrTime, timeInputToHrTime as coreTimeInputToHrTime } from '@opentelemetry/core';
import fc from 'fast-check';
import { millisToHrTime, timeInputToHrTime } from '../../src/clock.ts';

describe('clock', () => {
  it('millisToHrTime and timeInputToHrTime answer as @opentelemetry/core does: epoch ms, performance.now() values, Dates, HrTimes', () => {
    const millis = fc.oneof(
      fc.double({ min: 0, max: 4e12, noNaN: true }), // epoch milliseconds, fractions included
      fc.double({ min: 0, max: performance.timeOrigin / 2 - 1, noNaN: true }), // relative to the time origin, as performance.now()
      fc.integer({ min: 0, max: 4e12 }),
    );
    fc.assert(fc.property(millis, (ms) => {
      assert.deepEqual(millisToHrTime(ms), coreMillisToHrTime(ms));
      assert.deepEqual(timeInputToHrTime(ms), coreTimeInputToHrTime(ms));
      assert.deepEqual(timeInputToHrTime(new Date(Math.trunc(ms))), coreTimeInputToHrTime(new Date(Math.trunc(ms))));
    }), { numRuns: 5000 });
    assert.deepEqual(timeInputToHrTime([5, 6]), [5, 6]);
    assert.deepEqual(timeInputToHrTime(performance.now()).length, 2);
  });

  it('refuses what is not a time as core does', () => {
    assert.throws(() => timeInputToHrTime('2026' as never), /Invalid input type/);
    assert.throws(() => coreTimeInputToHrTime('2026' as never), /Invalid input type/);
  });
});
