import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LsofTable, parseOpenFiles } from "../../src/parsers/open-files.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { fixturePath, parseFixture, parseText } from "../helpers/fixtures.js";

const JC = "/usr/bin/jc";
const hasJc = existsSync(JC);

describe("open-files parser", () => {
  it("counts descriptors per process and skips thread rows (vm-debian12, lsof 4.95 with TID)", () => {
    const { facts, problems } = parseFixture(
      parseOpenFiles,
      "open-files/vm-debian12-k6.18__lsof-b-n-w__pids-2198-2936.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.processes).toEqual([
      { pid: 2198, command: "redis-ser", user: "root", nfds: 8, other: 22 },
      { pid: 2936, command: "nats-serv", user: "root", nfds: 8, other: 5 },
    ]);
    expect(facts.total_fds).toBe(16);
    expect(facts.thread_rows).toBe(211);
    expect(facts.worst?.pid).toBe(2198);
  });

  it("reads lsof -p without the TID columns (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseOpenFiles,
      "open-files/vm-debian12-k6.18__lsof-b-n-w-p-redis-nats.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.processes.map((p) => [p.pid, p.nfds, p.other])).toEqual([
      [2198, 8, 22],
      [2936, 8, 5],
    ]);
    expect(facts.thread_rows).toBe(0);
  });

  it("assigns sparse cells by column position", () => {
    const t = new LsofTable();
    const header =
      "COMMAND     PID   TID TASKCMD        USER   FD      TYPE             DEVICE  SIZE/OFF       NODE NAME";
    expect(t.header(header)).toBe(true);
    expect(
      t.row(
        "postgres   2178                  postgres  DEL       REG                0,1                  1030 /dev/zero",
      ),
    ).toEqual({
      command: "postgres",
      pid: 2178,
      user: "postgres",
      fd: "DEL",
      type: "REG",
      device: "0,1",
      node: "1030",
      name: "/dev/zero",
    });
    expect(
      t.row(
        "beam.smp   2927  2930 sys_sig_d  rabbitmq    0r      CHR                1,3       0t0          3 /dev/null",
      ),
    ).toMatchObject({
      pid: 2927,
      tid: 2930,
      taskcmd: "sys_sig_d",
      user: "rabbitmq",
      fd: "0r",
      size_off: "0t0",
    });
    expect(
      t.row(
        "redis-ser  2198                      root    6u     IPv4               3858       0t0        TCP 127.0.0.1:redis (LISTEN)",
      ),
    ).toMatchObject({
      fd: "6u",
      type: "IPv4",
      device: "3858",
      node: "TCP",
      name: "127.0.0.1:redis (LISTEN)",
    });
  });

  it("records lsof warnings and prompts, and accepts a header alone", () => {
    const text = [
      "# lsof -n",
      "lsof: WARNING: can't stat() fuse.gvfsd-fuse file system /run/user/1000/gvfs",
      "      Output information may be incomplete.",
      "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME",
      "java 77 app 1021u IPv4 99 0t0 TCP *:8080 (LISTEN)",
    ].join("\n");
    const { facts, problems } = parseText(parseOpenFiles, text);
    expect(facts.processes).toEqual([{ pid: 77, command: "java", user: "app", nfds: 1, other: 0 }]);
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3]);
    expect(
      parseText(parseOpenFiles, "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n").facts
        .processes,
    ).toEqual([]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseOpenFiles, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseOpenFiles, "\u0000\u00ff garbage\nnginx 12 root 3u\n")).toThrow(
      UnrecognisedOutputError,
    );
  });

  const files = [
    "open-files/vm-debian12-k6.18__lsof-b-n-w__pids-2198-2936.txt",
    "open-files/vm-debian12-k6.18__lsof-b-n-w-p-redis-nats.txt",
  ];
  it.skipIf(!hasJc).each(files)(
    `agrees with jc --lsof on per-process descriptor counts: %s${hasJc ? "" : " (skipped: /usr/bin/jc is not installed)"}`,
    (file) => {
      const ours = parseFixture(parseOpenFiles, file).facts;
      const theirs = JSON.parse(
        execFileSync(JC, ["--lsof"], {
          input: execFileSync("cat", [fixturePath(file)]),
        }).toString(),
      ) as { pid: number; tid: number | null; fd: string }[];
      const counts = new Map<number, { nfds: number; other: number }>();
      let threads = 0;
      for (const r of theirs) {
        if (r.tid != null) {
          threads++;
          continue;
        }
        const c = counts.get(r.pid) ?? { nfds: 0, other: 0 };
        if (/^\d/.test(r.fd)) c.nfds++;
        else c.other++;
        counts.set(r.pid, c);
      }
      expect(ours.thread_rows).toBe(threads);
      expect(ours.processes.map((p) => [p.pid, p.nfds, p.other])).toEqual(
        [...counts].map(([pid, c]) => [pid, c.nfds, c.other]),
      );
    },
  );
});
