import assert from 'node:assert/strict';
import { isAnyValue as coreIsAnyValue } from '@opentelemetry/core';
import fc from 'fast-check';
import { isAnyValue } from '../../format/anyValue.ts';

class Point {
  x = 1;
}

describe('isAnyValue', () => {
  it('answers as @opentelemetry/core does for any value (the SDK keeps or drops an attribute by it)', () => {
    fc.assert(fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true }), (value) => {
      assert.equal(isAnyValue(value), coreIsAnyValue(value));
    }), { numRuns: 2000 });
  });

  it('answers as core for the cases the property may not draw: bytes, cycles, class instances, functions, symbols', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const shared = { s: 'x' };
    const cases: unknown[] = [
      new Uint8Array([1, 2]), Buffer.from('hi'), [new Uint8Array(1)], cycle, [cycle], { a: shared, b: shared }, [shared, shared],
      new Point(), Object.create(null), () => 1, Symbol('s'), 10n, undefined, null, [undefined], { a: undefined }, new Date(0), /x/, NaN, Infinity,
    ];
    cases.forEach((value, i) => assert.equal(isAnyValue(value), coreIsAnyValue(value), `case ${i}`));
  });
});
