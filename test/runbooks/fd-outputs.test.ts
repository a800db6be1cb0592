import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { bundleDirs } from "../helpers/bundle-dir.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * fd-exhaustion reached from outputs, one kind of evidence at a time, over the quiet bundle
 * recorded on a 2-vCPU VM (fs.file-max 2466239, 985 handles allocated, uptime 232 s):
 * - kernel messages: `VFS: file-max limit %lu reached` (fs/file_table.c alloc_empty_file,
 *   printed while allocations fail against fs.file-max; `%d` before 2.6.39.3, same text);
 * - counters: /proc/sys/fs/file-nr (allocated, unused, max; Documentation/admin-guide/sysctl/fs.rst)
 *   and the per-process descriptor counts against `Max open files` of /proc/PID/limits;
 * - tool outputs: an `strace -f` trace whose accept4() calls fail with EMFILE.
 */
const QUIET = fixturePath("bundles/quiet-deep-cpu-2vcpu");
const bundle = bundleDirs("diagbot-test-fd-");

async function diagnose(files: Record<string, string | null>) {
  const dir = bundle(files, QUIET);
  return (await diagnoseBundle(dir, "vm", "errors", await loadRunbooks())).report;
}

const rule = (report: Awaited<ReturnType<typeof diagnose>>, id: string) =>
  report.hypotheses.find((h) => h.rule === id);

describe("fd-exhaustion from outputs", () => {
  it("kernel messages: VFS: file-max limit reached, 2 s before the snapshot", async () => {
    const dmesg = `${readFileSync(`${QUIET}/dmesg.out`, "utf8")}[  230.871204] VFS: file-max limit 2466239 reached\n`;
    const report = await diagnose({ "dmesg.out": dmesg });
    const hyp = rule(report, "fd-exhaustion-system");
    expect(hyp?.category).toBe("fd-exhaustion");
    expect(hyp?.evidence.map((e) => e.excerpt).join("\n")).toContain(
      "VFS: file-max limit 2466239 reached",
    );
  });

  it("counters: file-nr with 2449001 of 2466239 handles allocated (99.3 %)", async () => {
    const report = await diagnose({ "file-nr.out": "2449001\t0\t2466239\n" });
    const hyp = rule(report, "fd-exhaustion-system");
    expect(hyp?.title).toBe(
      "The system has 2449001 of fs.file-max 2466239 file handles open (99.3 %)",
    );
  });

  it("counters: a process with 1019 of its 1024 descriptors open", async () => {
    const fds = readFileSync(`${QUIET}/proc-fds.out`, "utf8").replace(
      /^2982 35 1024 20000 beam\.smp$/m,
      "2982 1019 1024 20000 beam.smp",
    );
    const report = await diagnose({ "proc-fds.out": fds });
    const hyp = rule(report, "fd-exhaustion-process");
    expect(hyp?.title).toBe("beam.smp (pid 2982) has 1019 of its 1024 open files (99.51 %)");
  });

  it("tool outputs: accept4() failing with EMFILE in an strace -f trace", async () => {
    const call = (pid: number, t: string, port: number) =>
      `${pid}  ${t} accept4(5, {sa_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("10.0.0.7")}, [16], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EMFILE (Too many open files)`;
    const trace = [
      call(2982, "06:28:06.101223", 50412),
      call(2982, "06:28:06.101410", 50414),
      "2982  06:28:06.101502 epoll_wait(7, [{events=EPOLLIN, data={u32=5, u64=5}}], 64, 100) = 1",
      call(2982, "06:28:06.101611", 50418),
      "",
    ].join("\n");
    const report = await diagnose({ "strace.out": trace });
    const hyp = rule(report, "fd-emfile-errors");
    expect(hyp?.category).toBe("fd-exhaustion");
    expect(hyp?.evidence.map((e) => e.excerpt).join("\n")).toMatch(/EMFILE/);
  });

  it("is fine on the quiet recording", async () => {
    const report = await diagnose({});
    for (const id of ["fd-exhaustion-system", "fd-exhaustion-process", "fd-emfile-errors"]) {
      expect(rule(report, id)).toBeUndefined();
    }
    expect(report.checked.find((c) => c.rule === "fd-exhaustion-system")?.verdict).toBe("fine");
  });
});
