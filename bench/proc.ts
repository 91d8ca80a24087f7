import fs from 'fs';

// CPU and memory of a process (and its threads) from Linux's /proc, for the live benches.

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
