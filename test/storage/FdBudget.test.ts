import assert from 'node:assert/strict';
import { type BudgetedFile, FdBudget } from '../../storage/FdBudget.ts';

/** A file as the budget sees it: busy or idle, and whether its descriptor is open. */
class FakeFile implements BudgetedFile {
  readonly name: string;
  busy = false;
  open = false;
  closes = 0;
  constructor(name: string) {
    this.name = name;
  }
  isBusy(): boolean {
    return this.busy;
  }
  closeIdle(): void {
    assert.ok(!this.busy, `${this.name} was closed while busy`);
    this.open = false;
    this.closes++;
  }
}

/** Acquire a slot the way ActiveFile does: busy while waiting and writing. */
function startWrite(budget: FdBudget, file: FakeFile, granted: string[]): void {
  file.busy = true;
  budget.acquire(file, () => {
    file.open = true;
    granted.push(file.name);
  });
}

function finishWrite(budget: FdBudget, file: FakeFile): void {
  file.busy = false;
  budget.idle(file);
}

describe('FdBudget', () => {
  it('refuses a limit below 2, naming the option and what is allowed', () => {
    assert.throws(() => new FdBudget(1), { name: 'RangeError', message: /maxOpenFiles: 1 is not allowed; allowed: an integer >= 2/ });
    assert.throws(() => new FdBudget(2.5), /maxOpenFiles/);
  });

  it('never holds more than the limit while every file is busy: later writes wait', () => {
    const budget = new FdBudget(2);
    const files = ['a', 'b', 'c', 'd'].map((name) => new FakeFile(name));
    const granted: string[] = [];
    for (const file of files) startWrite(budget, file, granted);
    assert.deepEqual(granted, ['a', 'b']);
    assert.equal(budget.size, 2);
    assert.equal(budget.waits, 2);
  });

  it('grants waiting writes in the order they asked, as files become idle', () => {
    const budget = new FdBudget(2);
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => new FakeFile(name));
    const granted: string[] = [];
    for (const file of [a!, b!, c!, d!, e!]) startWrite(budget, file, granted);
    finishWrite(budget, b!);
    finishWrite(budget, a!);
    assert.deepEqual(granted, ['a', 'b', 'c', 'd']);
    assert.ok(!a!.open && !b!.open, 'idle files handed their slots on');
    finishWrite(budget, d!);
    assert.deepEqual(granted, ['a', 'b', 'c', 'd', 'e']);
    assert.ok(budget.size <= 2);
  });

  it('evicts the least recently used idle file, never a busy one', () => {
    const budget = new FdBudget(3);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new FakeFile(name));
    const granted: string[] = [];
    startWrite(budget, a!, granted);
    startWrite(budget, b!, granted);
    startWrite(budget, c!, granted);
    finishWrite(budget, b!);
    finishWrite(budget, c!);
    // c is used again: b is now the least recently used idle file.
    startWrite(budget, c!, granted);
    finishWrite(budget, c!);
    startWrite(budget, d!, granted);
    assert.deepEqual(granted, ['a', 'b', 'c', 'c', 'd']);
    assert.deepEqual([a!.closes, b!.closes, c!.closes], [0, 1, 0]);
    assert.equal(budget.evictions, 1);
    assert.equal(budget.size, 3);
  });

  it('lets a synchronous write pass the limit briefly when every other file is busy, keeping that file counted', () => {
    const budget = new FdBudget(2);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new FakeFile(name));
    const granted: string[] = [];
    startWrite(budget, a!, granted);
    startWrite(budget, b!, granted);
    // A synchronous write does not mark its file busy (nothing can run before it ends).
    budget.acquireNow(c!);
    c!.open = true;
    assert.equal(c!.closes, 0, 'the file that asked is not the one evicted');
    assert.equal(budget.size, 3, 'its descriptor is counted');
    finishWrite(budget, a!);
    budget.acquireNow(new FakeFile('d'));
    assert.equal(budget.size, 3);
    assert.deepEqual([a!.closes, b!.closes, c!.closes], [1, 0, 0], 'the idle file a made room');
  });

  it('hands the slot of a file that closed on its own to the next waiting write', () => {
    const budget = new FdBudget(2);
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new FakeFile(name));
    const granted: string[] = [];
    startWrite(budget, a!, granted);
    startWrite(budget, b!, granted);
    startWrite(budget, c!, granted);
    a!.busy = false;
    budget.release(a!);
    assert.deepEqual(granted, ['a', 'b', 'c']);
  });
});
