import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDeletedOpenFiles } from "../../src/parsers/deleted-open-files.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { fixturePath, parseFixture, parseText } from "../helpers/fixtures.js";

const JC = "/usr/bin/jc";
const hasJc = existsSync(JC);
const LSOF = "deleted-open-files/vm-debian12-k6.18__lsof-b-n-w-L1.txt";

describe("deleted-open-files parser", () => {
  it("reads the collector's lsof +L1 and counts each file once (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseDeletedOpenFiles, LSOF);
    expect(problems).toEqual([]);
    expect(facts.rows).toHaveLength(14);
    expect(facts.rows[4]).toEqual({
      pid: 4117,
      command: "sleep",
      user: "root",
      fd: "1w",
      size_bytes: 5242880,
      device: "254,0",
      node: "1524100",
      path: "/var/tmp/diag-fixture/app.log",
      pseudo: false,
    });
    // the 5 MiB log is held on fds 1 and 2 of one process: counted once, largest first
    expect(facts.files[0]).toEqual({
      path: "/var/tmp/diag-fixture/app.log",
      device: "254,0",
      node: "1524100",
      size_bytes: 5242880,
      pseudo: false,
      holders: 2,
      pids: [4117],
    });
    // memfd: is memory, not disk space
    expect(facts.files[1]).toMatchObject({
      path: "/memfd:sealed-91173221a7ea",
      pseudo: true,
      holders: 8,
    });
    expect(facts.total_bytes).toBe(5242880);
    expect(facts.unknown_size_files).toBe(0);
    expect(facts.by_dir[0]).toEqual({ dir: "/var/tmp/diag-fixture", files: 1, bytes: 5242880 });
  });

  it("reads find -ls lines, which carry no file size (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseDeletedOpenFiles,
      "deleted-open-files/vm-debian12-k6.18__find-proc-fd-ls-grep-deleted.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.rows[0]).toEqual({ pid: 3764, fd: "7", path: "/tmp/#2146415", pseudo: false });
    expect(facts.rows[5]).toEqual({
      pid: 4117,
      fd: "2",
      path: "/var/tmp/diag-fixture/app.log",
      pseudo: false,
    });
    expect(facts.files).toHaveLength(5);
    expect(facts.unknown_size_files).toBe(5);
    expect(facts.total_bytes).toBe(0);
  });

  it("reads the pasted find output with its prompt (scenario 26)", () => {
    const { facts, problems } = parseFixture(
      parseDeletedOpenFiles,
      "deleted-open-files/scenario-26__rails-assets-issue-386__find-proc-fd-ls.txt",
    );
    expect(facts.rows).toHaveLength(6);
    expect(facts.rows[1]).toEqual({
      pid: 11228,
      fd: "1",
      path: "/var/log/nginx/error.log-20161102",
      pseudo: false,
    });
    expect(facts.rows[3]).toEqual({ pid: 11231, fd: "0", path: "/dev/pts/0", pseudo: true });
    expect(facts.files).toEqual([
      { path: "/dev/pts/0", pseudo: true, holders: 2, pids: [11228, 11231] },
      {
        path: "/var/log/nginx/error.log-20161102",
        pseudo: false,
        holders: 4,
        pids: [11228, 11231],
      },
    ]);
    expect(facts.unknown_size_files).toBe(1);
    expect(facts.by_dir).toEqual([{ dir: "/var/log/nginx", files: 1, bytes: 0 }]);
    expect(problems).toEqual([expect.objectContaining({ line: 1 })]);
  });

  it("reads lsof | grep deleted without a header, skipping thread rows", () => {
    const text = [
      "nginx     1201                 www-data    2w      REG              253,1 4034970120    1310742 /var/log/nginx/error.log.1 (deleted)",
      "nginx     1201  1205 nginx     www-data    2w      REG              253,1 4034970120    1310742 /var/log/nginx/error.log.1 (deleted)",
      "java      3300                     app   88u      REG              253,2      65536     0   77 /data/tmp/spill 01.bin (deleted)",
      "postgres  2178                  postgres  DEL       REG                0,1               1030 /dev/zero",
    ].join("\n");
    const { facts, problems } = parseText(parseDeletedOpenFiles, text);
    expect(problems.map((p) => p.line)).toEqual([4]);
    expect(facts.rows).toEqual([
      {
        pid: 1201,
        command: "nginx",
        user: "www-data",
        fd: "2w",
        size_bytes: 4034970120,
        device: "253,1",
        node: "1310742",
        path: "/var/log/nginx/error.log.1",
        pseudo: false,
      },
      {
        pid: 3300,
        command: "java",
        user: "app",
        fd: "88u",
        size_bytes: 65536,
        device: "253,2",
        node: "77",
        path: "/data/tmp/spill 01.bin",
        pseudo: false,
      },
    ]);
    expect(facts.total_bytes).toBe(4034970120 + 65536);
  });

  it("keeps only deleted rows of a full lsof table and reads ls -l /proc/PID/fd", () => {
    const lsof = [
      "COMMAND  PID USER   FD   TYPE DEVICE SIZE/OFF    NODE NAME",
      "nginx   1201 root    1w   REG  253,1     4096 1310700 /var/log/nginx/access.log",
      "nginx   1201 root    2w   REG  253,1  1048576 1310742 /var/log/nginx/error.log.1 (deleted)",
    ].join("\n");
    expect(parseText(parseDeletedOpenFiles, lsof).facts.rows.map((r) => r.path)).toEqual([
      "/var/log/nginx/error.log.1",
    ]);
    const ls = [
      "/proc/812/fd:",
      "l-wx------ 1 root root 64 Nov  2 08:00 5 -> /srv/app/out\\ log.txt (deleted)",
    ].join("\n");
    expect(parseText(parseDeletedOpenFiles, ls).facts.rows).toEqual([
      { pid: 812, fd: "5", path: "/srv/app/out log.txt", pseudo: false },
    ]);
  });

  it("accepts a header alone and empty output (lsof +L1 prints nothing when nothing qualifies)", () => {
    const empty = { rows: [], files: [], total_bytes: 0, unknown_size_files: 0, by_dir: [] };
    const header = "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NLINK NODE NAME\n";
    expect(parseText(parseDeletedOpenFiles, header)).toEqual({ facts: empty, problems: [] });
    expect(parseText(parseDeletedOpenFiles, "")).toEqual({ facts: empty, problems: [] });
    expect(parseText(parseDeletedOpenFiles, "\n\n")).toEqual({ facts: empty, problems: [] });
  });

  it("rejects garbage input with the documented error", () => {
    expect(() => parseText(parseDeletedOpenFiles, "\u0000\u00ff garbage\n(deleted)\n")).toThrow(
      UnrecognisedOutputError,
    );
  });

  it.skipIf(!hasJc)(
    `agrees with jc --lsof on pid, fd, size, device, node and name${hasJc ? "" : " (skipped: /usr/bin/jc is not installed)"}`,
    () => {
      const ours = parseFixture(parseDeletedOpenFiles, LSOF).facts.rows;
      const theirs = JSON.parse(
        execFileSync(JC, ["--lsof"], {
          input: execFileSync("cat", [fixturePath(LSOF)]),
        }).toString(),
      ) as Record<string, string | number>[];
      expect(theirs).toHaveLength(ours.length);
      theirs.forEach((j, i) => {
        const o = ours[i];
        expect([o.pid, o.command, o.fd, o.size_bytes, o.device, o.node]).toEqual([
          j.pid,
          j.command,
          j.fd,
          j.size_off,
          j.device,
          String(j.node),
        ]);
        expect(`${o.path} (deleted)`).toBe(j.name);
      });
    },
  );
});
