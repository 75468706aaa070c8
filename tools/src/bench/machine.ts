/** The machine a benchmark ran on, described for the report (these machines are shared and noisy). */
import os from 'node:os';

/** CPU, memory, runtime and load at one moment. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  date: string;
  /** 1, 5 and 15 minute load averages. */
  loadavg: [number, number, number];
}

/** Describes this machine now. */
export function describeMachine(now = new Date()): MachineInfo {
  const cpus = os.cpus();
  const [a = 0, b = 0, c = 0] = os.loadavg();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: now.toISOString(),
    loadavg: [a, b, c].map((x) => Math.round(x * 100) / 100) as [number, number, number],
  };
}

/** `2.10 1.95 1.80` */
export function formatLoad(l: readonly number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}

/** One markdown line describing the machine. */
export function machineLine(m: MachineInfo): string {
  return `${m.cores}× ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.platform}, Node ${m.node}; ${m.date}; load average ${formatLoad(m.loadavg)} (1/5/15 min) on ${m.cores} cores`;
}
