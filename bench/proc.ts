import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';

// Processes for the live benches: CPU and memory from Linux's /proc, a loaded machine, a Pi-sized budget.

const CLK_TCK = 100; // Linux USER_HZ

/** utime + stime of a process or thread, in seconds. */
export function cpuSeconds(statPath: string): number {
  const stat = fs.readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Each thread's name and CPU seconds, by thread id. */
export function threadsCpu(pid: number): Map<string, { name: string; cpu: number }> {
  const out = new Map<string, { name: string; cpu: number }>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, { name: fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), cpu: cpuSeconds(`/proc/${pid}/task/${tid}/stat`) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** N busy loops, each a process spinning one core: a loaded machine. Kill them when done. */
export function busyLoops(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

const PI_CGROUP = '/sys/fs/cgroup/cpu/loopstation-pi';

/**
 * Moves a process (all its threads) into a cgroup v1 cpu controller limited to 30% of one core granted
 * every 5 ms (cfs_period_us 5000, cfs_quota_us 1500): a stand-in for a Raspberry Pi 4 core. Needs root.
 */
export function limitToPiCore(pid: number): void {
  fs.mkdirSync(PI_CGROUP, { recursive: true });
  fs.writeFileSync(`${PI_CGROUP}/cpu.cfs_period_us`, '5000');
  fs.writeFileSync(`${PI_CGROUP}/cpu.cfs_quota_us`, '1500');
  fs.writeFileSync(`${PI_CGROUP}/cgroup.procs`, String(pid));
}
