import { checkStoreProperty } from '../support/storeProperty.ts';

describe('the store under any interleaving (model-based property test)', function () {
  this.timeout(300_000);

  it('writes every record once or records why not, and keeps what flush() acknowledged (60 random runs of up to 40 steps)', async () => {
    await checkStoreProperty({ runs: Number(process.env.PROPERTY_RUNS ?? 60), commands: Number(process.env.PROPERTY_COMMANDS ?? 40) });
  });
});
