import { readdirSync, readFileSync } from 'node:fs';

/**
 * When process `pid` started, in clock ticks since boot (/proc/<pid>/stat field 22), or
 * undefined where there is no /proc. With the pid it names one process for good: a pid that
 * was reused has another start time. (/proc is in memory: reading it does not wait on a disk.)
 */
export function processStartTicks(pid: number): number | undefined {
  const ticks = Number(statFields(pid)?.[19]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

/** Fields 3.. of /proc/<pid>/stat (field 2, the command name, may hold spaces and parentheses). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * True while a process of group `pgid` is running. A zombie does not count: it has exited and
 * only waits to be reaped, which some init processes (containers, VMs) do seconds late.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // it exists but is not ours to signal
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return true; // no /proc: a signal reached something
  }
  const group = String(pgid);
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 0x39) continue; // not a process directory
    const fields = statFields(pid);
    if (fields && fields[2] === group && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** Send `signal` to every process of group `pgid`; a group that is gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: no process left in the group
  }
}

/**
 * SIGTERM to the group, SIGKILL to what is left of it after `graceMs`. Resolves when no process
 * of the group remains and `running()` (the leader, as its parent sees it) is false.
 */
export async function killGroup(pgid: number, graceMs: number, running: () => boolean = () => false): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (running() || groupAlive(pgid)) {
    if (!killed && Date.now() >= deadline) {
      signalGroup(pgid, 'SIGKILL');
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, GROUP_POLL_MS));
  }
}

/** How often a group being killed is checked for being gone. */
const GROUP_POLL_MS = 25;
