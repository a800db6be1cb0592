import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * The tunables judged against the host (runbooks/tunables.yaml) on parsed sysctl and
 * /proc/meminfo outputs, replayed as small bundles: defaults and a raised ratio on a small
 * host stay fine, a setting far from the kernel's own for this memory is advice (0.2, below
 * any finding), and the same setting with its symptom is a finding.
 */
/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
const replay = bundleReplayer();

/** The Debian VM's `sysctl -e` output with one key's value replaced. */
function debianSysctl(key: string, value: number | string): { text: string } {
  const text = readFixture("sysctl/vm-debian12-k6.18__sysctl-e-keys.txt");
  const line = new RegExp(`^${key.replace(/\./g, "\\.")} = .*$`, "m");
  expect(text).toMatch(line);
  return { text: text.replace(line, `${key} = ${value}`) };
}

const RULES = [
  "dirty-limit-raised",
  "min-free-kbytes-high",
  "file-max-below-default",
  "threads-max-below-default",
  "port-range-narrow",
  "somaxconn-caps-backlog",
  "pid-max-low",
];
const DEBIAN_SYSCTL = "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt";
const DEBIAN_MEMINFO = "meminfo/vm-debian12-k6.18__meminfo.txt";
/** CentOS 7.7's `sysctl -a`: vm.dirty_ratio = 30, fs.file-max = 379085 (sized for ~4 GB). */
const CENTOS_SYSCTL = "sysctl/jc__centos-7.7__sysctl-a.out.txt";
const KSWAPD_PIDSTAT = "pidstat/constructed__pidstat-udwrh-kswapd-kcompactd-busy.txt";

describe("tunables at the kernel's defaults", () => {
  it("are fine on the Debian VM they were read on (24 GB, dirty_ratio 20, file-max its default)", async () => {
    const r = await replay({ sysctl: DEBIAN_SYSCTL, meminfo: DEBIAN_MEMINFO }, "health");
    expect(r.hypotheses.filter((h) => RULES.includes(h.rule))).toEqual([]);
    const why = (rule: string) => r.checked.find((c) => c.rule === rule);
    expect(why("dirty-limit-raised")).toMatchObject({ verdict: "fine" });
    expect(why("dirty-limit-raised")?.why).toMatch(/a dirty limit of 20 % of memory/);
    expect(why("min-free-kbytes-high")?.why).toMatch(/vm\.min_free_kbytes at 0\.27 % of memory/);
    // 2466177 of 24684092 / 10 = 2468409
    expect(why("file-max-below-default")?.why).toMatch(/fs\.file-max at 99\.91 % of the kernel/);
    // 192735 of 24684092 / 128 = 192844
    expect(why("threads-max-below-default")?.why).toMatch(/threads-max at 99\.94 % of the kernel/);
    expect(why("port-range-narrow")).toMatchObject({ verdict: "fine" });
  });

  it("let a raised dirty_ratio pass on a host too small for it to matter (30 % of 4 GB)", async () => {
    const r = await replay(
      { sysctl: CENTOS_SYSCTL, meminfo: "meminfo/jc__linux-proc__meminfo.txt" },
      "disk",
    );
    const c = r.checked.find((x) => x.rule === "dirty-limit-raised");
    expect(c?.verdict).toBe("fine");
    expect(c?.why).toMatch(/a dirty limit of 1199182 kB/);
  });
});

describe("tunables far from the host's size", () => {
  // The 4 GB host's settings on a 64 GB one (CentOS sysctl, an older kernel's meminfo).
  const bigHost = {
    sysctl: CENTOS_SYSCTL,
    meminfo: "meminfo/elastic-asm__oldkern_proc_meminfo.txt",
  };

  it("are advice without their symptom: confidence 0.2", async () => {
    const r = await replay(bigHost, "health");
    const dirty = r.hypotheses.find((h) => h.rule === "dirty-limit-raised");
    expect(dirty?.title).toBe(
      "vm.dirty_ratio / vm.dirty_bytes let 18492421 kB of dirty data (30 % of memory) pile up before writers are throttled",
    );
    expect(dirty?.confidence).toBe(0.2);
    const files = r.hypotheses.find((h) => h.rule === "file-max-below-default");
    // 379085 of 61641404 / 10
    expect(files?.title).toMatch(/^fs\.file-max = 379085 is 6\.15 % of the kernel's own default/);
    expect(files?.confidence).toBe(0.2);
  });

  it("rank below a current finding", async () => {
    const r = await replay({ ...bigHost, pidstat: KSWAPD_PIDSTAT }, "health");
    const score = (rule: string) => r.hypotheses.find((h) => h.rule === rule)?.score ?? NaN;
    expect(r.hypotheses[0].rule).toBe("reclaim-kswapd-busy");
    for (const advice of ["dirty-limit-raised", "file-max-below-default"]) {
      expect(score(advice)).toBeLessThan(score("compaction-kcompactd-busy"));
    }
  });

  it("make min_free_kbytes a finding when kswapd is busy", async () => {
    // 2097152 kB of 24684092 kB = 8.5 %, above the 5 % the kernel ever sets
    const sysctl = debianSysctl("vm.min_free_kbytes", 2097152);
    const advice = await replay({ sysctl, meminfo: DEBIAN_MEMINFO }, "memory");
    expect(advice.hypotheses.find((h) => h.rule === "min-free-kbytes-high")?.confidence).toBe(0.2);
    const r = await replay({ sysctl, meminfo: DEBIAN_MEMINFO, pidstat: KSWAPD_PIDSTAT }, "memory");
    const h = r.hypotheses.find((x) => x.rule === "min-free-kbytes-high");
    expect(h?.title).toMatch(/^vm\.min_free_kbytes = 2097152 keeps 8\.5 % of memory free/);
    expect(h?.confidence).toBeCloseTo(0.5, 5);
    expect(h?.evidence.map((e) => e.fact)).toContain("reclaim.kswapd_cpu_pct");
  });

  it("make a lowered file-max a finding when the open files near it", async () => {
    const sysctl = debianSysctl("fs.file-max", 65536);
    const r = await replay(
      { sysctl, meminfo: DEBIAN_MEMINFO, "file-nr": { text: "60032\t0\t65536\n" } },
      "errors",
    );
    const h = r.hypotheses.find((x) => x.rule === "file-max-below-default");
    expect(h?.confidence).toBeCloseTo(0.55, 5);
    expect(h?.remediation[0]).toMatch(/raise it to at least 2468409/);
  });

  it("make a lowered threads-max a finding when the threads near it", async () => {
    const sysctl = debianSysctl("kernel.threads-max", 10000);
    const advice = await replay({ sysctl, meminfo: DEBIAN_MEMINFO }, "errors");
    const alone = advice.hypotheses.find((h) => h.rule === "threads-max-below-default");
    expect(alone?.title).toBe(
      "kernel.threads-max = 10000 is 5.19 % of the kernel's own default for this memory (192844)",
    );
    expect(alone?.confidence).toBe(0.2);
    // /proc/loadavg: 9100 scheduling entities, 91 % of threads-max
    const uptime = { text: "3.10 2.75 2.02 4/9100 31337\n1832.87 2876.96\n" };
    const r = await replay({ sysctl, meminfo: DEBIAN_MEMINFO, uptime }, "errors");
    const h = r.hypotheses.find((x) => x.rule === "threads-max-below-default");
    expect(h?.confidence).toBeCloseTo(0.55, 5);
  });

  it("take a narrowed port range for advice", async () => {
    const sysctl = debianSysctl("net.ipv4.ip_local_port_range", "40000\t45000");
    const r = await replay({ sysctl }, "network");
    const h = r.hypotheses.find((x) => x.rule === "port-range-narrow");
    expect(h?.title).toMatch(/holds 5001 ports, under half the kernel's default of 28232/);
    expect(h?.confidence).toBe(0.2);
  });

  it("take a somaxconn under 4096 that cuts a listener's backlog for advice, and for a cause when the queue is full", async () => {
    const sysctl = debianSysctl("net.core.somaxconn", 128);
    // The Debian VM's listeners as somaxconn 128 shows them: ss prints the backlog the kernel
    // kept, min(listen() backlog, somaxconn).
    const services = readFixture("ss-listen/vm-debian12-k6.18__ss-ltn-services.txt")
      .replace(/ 4096 /g, " 128  ")
      .replace(/ 244 /g, " 128 ")
      .replace(/ 511 /g, " 128 ");
    expect(services).not.toMatch(/LISTEN 0 +(4096|511|244) /);
    const advice = await replay({ sysctl, "ss-listen": { text: services } }, "network");
    const alone = advice.hypotheses.find((h) => h.rule === "somaxconn-caps-backlog");
    expect(alone?.title).toMatch(
      /^net\.core\.somaxconn = 128 cuts the listen\(\) backlog of 127\.0\.0\.1:25672 to 128/,
    );
    expect(alone?.confidence).toBe(0.2);

    const full = services.replace(
      "LISTEN 0      128          0.0.0.0:2024",
      "LISTEN 129    128          0.0.0.0:2024",
    );
    expect(full).not.toBe(services);
    const r = await replay({ sysctl, "ss-listen": { text: full } }, "network");
    const h = r.hypotheses.find((x) => x.rule === "somaxconn-caps-backlog");
    expect(h?.title).toMatch(/backlog of 0\.0\.0\.0:2024 to 128/);
    expect(h?.confidence).toBeCloseTo(0.55, 5);
  });

  it("leave a somaxconn of 4096 alone even when a listener sits at it", async () => {
    const r = await replay(
      { sysctl: DEBIAN_SYSCTL, "ss-listen": "ss-listen/vm-debian12-k6.18__ss-ltn-services.txt" },
      "network",
    );
    expect(r.checked.find((c) => c.rule === "somaxconn-caps-backlog")?.verdict).toBe("fine");
  });

  it("make a pid_max under 32768 a finding when the threads near it", async () => {
    const sysctl = debianSysctl("kernel.pid_max", 10000);
    const advice = await replay({ sysctl }, "errors");
    expect(advice.hypotheses.find((h) => h.rule === "pid-max-low")?.confidence).toBe(0.2);
    // /proc/loadavg: 9100 scheduling entities, 91 % of pid_max
    const uptime = { text: "3.10 2.75 2.02 4/9100 31337\n1832.87 2876.96\n" };
    const r = await replay({ sysctl, uptime }, "errors");
    const h = r.hypotheses.find((x) => x.rule === "pid-max-low");
    expect(h?.title).toBe("kernel.pid_max = 10000 is below the kernel's smallest default of 32768");
    expect(h?.confidence).toBeCloseTo(0.55, 5);
  });
});
