/**
 * One `exit` listener for the whole process, however many stores there are: each store
 * registers its synchronous flush while it is open (a listener per store would pass Node's
 * listener limit with a few dozen).
 */
const flushers = new Set<() => void>();
let installed = false;

function flushAll(): void {
  for (const flush of flushers) {
    try {
      flush();
    } catch {
      // One store's failure must not keep the others from writing what they hold.
    }
  }
}

export function onProcessExit(flush: () => void): () => void {
  flushers.add(flush);
  if (!installed) {
    installed = true;
    process.on('exit', flushAll);
  }
  return () => {
    flushers.delete(flush);
  };
}
