/**
 * `mpstat -P ALL 1 2` output in sysstat's layout (the banner and columns of
 * test/fixtures/mpstat/vm-debian12-k6.18__mpstat.txt, mpstat(1)), built from per-CPU shares so
 * that runbook tests can replay a host with chosen %usr, %sys, %steal and %idle.
 */

/** One CPU's shares in %; %idle is what is left of 100. */
export interface CpuShare {
  usr: number;
  sys?: number;
  steal?: number;
}

const HEAD =
  "    CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle";

function row(time: string, cpu: string, s: Required<CpuShare>): string {
  const idle = 100 - s.usr - s.sys - s.steal;
  const f = (v: number) => v.toFixed(2).padStart(7);
  return `${time}     ${cpu.padStart(3)} ${f(s.usr)} ${f(0)} ${f(s.sys)} ${f(0)} ${f(0)} ${f(0)} ${f(s.steal)} ${f(0)} ${f(0)} ${f(idle)}`;
}

/** The mpstat text for these CPUs (cpu 0, 1, …), the same shares in both intervals; `all` is their mean. */
export function mpstatOutput(cpus: readonly CpuShare[]): string {
  const full = cpus.map((c) => ({ usr: c.usr, sys: c.sys ?? 0, steal: c.steal ?? 0 }));
  const mean = (k: keyof Required<CpuShare>) => full.reduce((a, c) => a + c[k], 0) / full.length;
  const all = { usr: mean("usr"), sys: mean("sys"), steal: mean("steal") };
  const block = (time: string) => [
    row(time, "all", all),
    ...full.map((c, i) => row(time, String(i), c)),
  ];
  return [
    `Linux 6.18.44-fc-v657 (vm) \t11/30/26 \t_x86_64_\t(${cpus.length} CPU)`,
    "",
    `13:29:05 ${HEAD}`,
    ...block("13:29:06"),
    "",
    `13:29:06 ${HEAD}`,
    ...block("13:29:07"),
    "",
    `Average: ${HEAD}`,
    ...block("Average:"),
    "",
  ].join("\n");
}
