import { checkStoreProperty } from '../support/storeProperty.ts';

describe('reliability: the store under any interleaving (model-based property test, large budget)', function () {
  this.timeout(1_800_000);

  it('writes every record once or records why not, and keeps what flush() acknowledged (2,000 random runs of up to 120 steps)', async () => {
    await checkStoreProperty({ runs: 2000, commands: 120 });
  });
});
