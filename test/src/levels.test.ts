import assert from 'node:assert/strict';
import { LEVELS, levelRank, parseLevel } from '../../src/levels.ts';
import { EVENT_CATALOGUE } from '../../src/catalogue.ts';
import { createSessionLogging } from '../../src/index.ts';
import { sessionLines, tempDir } from '../support/sessionFiles.ts';

describe('levels and the event catalogue', () => {
  it('orders levels spawns < signals < prompts < full', () => {
    assert.deepEqual([...LEVELS], ['spawns', 'signals', 'prompts', 'full']);
    assert.ok(levelRank('spawns') < levelRank('signals') && levelRank('signals') < levelRank('prompts') && levelRank('prompts') < levelRank('full'));
  });

  it('names the bad value and the allowed levels', () => {
    assert.throws(() => parseLevel('verbose', 'x'), /unknown level "verbose"; allowed: spawns, signals, prompts, full/);
  });

  it('puts every event of the design in the catalogue with its tier and category', () => {
    const expected: Record<string, [string, string]> = {
      'session.created': ['spawns', 'system'], 'session.terminated': ['spawns', 'system'],
      'window.created': ['spawns', 'system'], 'window.closed': ['spawns', 'system'],
      'pane.created': ['spawns', 'system'], 'pane.closed': ['spawns', 'system'],
      'log_level.changed': ['spawns', 'audit'], 'api.request': ['spawns', 'audit'],
      'process.started': ['signals', 'system'], 'process.exited': ['signals', 'system'],
      error: ['signals', 'system'], warning: ['signals', 'system'],
      'client.attached': ['signals', 'audit'], 'client.detached': ['signals', 'audit'],
      'agent.state_changed': ['signals', 'system'],
      'prompt.detected': ['prompts', 'system'], 'command.started': ['prompts', 'audit'], 'tool.called': ['prompts', 'system'],
      output: ['full', 'system'], input: ['full', 'audit'],
    };
    assert.deepEqual(Object.fromEntries([...EVENT_CATALOGUE].map(([name, spec]) => [name, [spec.tier, spec.category]])), expected);
  });

  describe('filtering: every event at every level', () => {
    const root = tempDir();
    const written = new Map<string, Set<string>>();
    before(async () => {
      const logging = createSessionLogging({ dir: root, env: {} });
      for (const level of LEVELS) {
        const log = logging.open(`filter-${level}`, { level });
        for (const event of EVENT_CATALOGUE.keys()) log.emit(event, `body of ${event}`);
      }
      await logging.shutdown();
      for (const level of LEVELS) {
        written.set(level, new Set(sessionLines(root, `filter-${level}`).filter((l) => l.body === `body of ${l.event}`).map((l) => l.event)));
      }
    });
    for (const level of LEVELS) {
      for (const [event, spec] of EVENT_CATALOGUE) {
        const expected = levelRank(spec.tier) <= levelRank(level);
        it(`${expected ? 'records' : 'drops'} ${event} at ${level}`, () => {
          assert.equal(written.get(level)!.has(event), expected);
        });
      }
    }
  });
});
