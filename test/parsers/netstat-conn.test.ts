import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseNetstatConn } from "../../src/parsers/netstat-conn.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { fixturePath, parseFixture, parseText } from "../helpers/fixtures.js";

const JC = "/usr/bin/jc";
const hasJc = existsSync(JC);

describe("netstat-conn parser", () => {
  it("reads the collector's netstat -tan, tcp6 included (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseNetstatConn,
      "netstat-conn/vm-debian12-k6.18__netstat-tan.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.total).toBe(19);
    expect(facts.by_state).toEqual({ LISTEN: 11, "TIME-WAIT": 2, ESTAB: 6 });
    const client = facts.sockets.find((s) => s.local_port === 40012)!;
    expect(client).toMatchObject({
      netid: "tcp",
      state: "ESTAB",
      recv_q: 7,
      peer_address: "127.0.0.1",
      peer_port: 6379,
      proto: "tcp",
    });
    const v6 = facts.sockets.filter((s) => s.proto === "tcp6");
    expect(v6.map((s) => [s.local_address, s.local_port, s.peer_address])).toEqual([
      ["::1", 4369, "::"],
      ["::1", 6379, "::"],
    ]);
    // netstat prints 0 as a listener's Send-Q: no backlog is claimed.
    expect(facts.listeners.find((l) => l.local_port === 2024)).toEqual({
      netid: "tcp",
      local_address: "0.0.0.0",
      local_port: 2024,
      recv_q: 0,
    });
  });

  it("reads -anp with the unix table and fixed-width program names (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseNetstatConn,
      "netstat-conn/vm-debian12-k6.18__netstat-anp.txt",
    );
    expect(problems).toEqual([]);
    const pg = facts.sockets.find((s) => s.local_address === "/var/run/postgresql/.s.PGSQL.5432")!;
    expect(pg).toMatchObject({ netid: "u_str", state: "LISTEN", local_port: 4202, proto: "unix" });
    expect(pg.process).toEqual([{ name: "postgres", pid: 2178 }]);
    expect(pg.info).toEqual({ flags: "ACC" });
    const erl = facts.sockets.find((s) => s.local_port === 4951)!;
    expect(erl).toMatchObject({ state: "ESTAB", local_address: "*" });
    expect(erl.process).toEqual([{ name: "erl_child_setu", pid: 2944 }]);
    expect(facts.sockets.find((s) => s.local_port === 1572)?.process).toBeUndefined();
    expect(facts.by_netid).toEqual({ tcp: 37, u_str: 6 });
  });

  it("reads -tunaope: User, Inode, program names with blanks and timers (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseNetstatConn,
      "netstat-conn/vm-debian12-k6.18__netstat-tunaope.txt",
    );
    expect(problems).toEqual([]);
    const redis = facts.sockets.find((s) => s.local_port === 6379 && s.state === "LISTEN")!;
    expect(redis).toMatchObject({
      uid: 0,
      ino: 3858,
      process: [{ name: "redis-server 1", pid: 2198 }],
    });
    const beam = facts.sockets.find((s) => s.local_port === 25672)!;
    expect(beam).toMatchObject({ uid: 106, ino: 5745, process: [{ name: "beam.smp", pid: 2927 }] });
    expect(beam.info).toEqual({
      timer_name: "off",
      timer_expires_ms: 0,
      timer_retrans: 0,
      timer_probes: 0,
    });
    const tw = facts.sockets.find((s) => s.local_port === 58574)!;
    expect(tw).toMatchObject({ state: "TIME-WAIT", peer_port: 41731, uid: 0, ino: 0 });
    expect(tw.process).toBeUndefined();
    expect(tw.info).toMatchObject({ timer_name: "timewait", timer_expires_ms: 58930 });
  });

  it("reads pasted rows with leading blanks, no header, PID and Timer (scenario 14)", () => {
    const { facts, problems } = parseFixture(
      parseNetstatConn,
      "netstat-conn/scenario-14__haproxy-issue-136__netstat.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.by_state).toEqual({ "CLOSE-WAIT": 4 });
    expect(facts.sockets.every((s) => s.recv_q === 210 && s.local_port === 2040)).toBe(true);
    expect(facts.sockets[3]).toMatchObject({
      local_address: "172.20.0.1",
      peer_address: "172.30.41.26",
      peer_port: 41556,
      process: [{ name: "haproxy", pid: 11621 }],
    });
    expect(facts.sockets[0].process).toBeUndefined();
    expect(facts.sockets[0].peer_port).toBe(58805);
    expect(facts.recv_q_bytes_total).toBe(840);
  });

  it("reads a SYN flood excerpt with ... elisions as problems (scenario 37)", () => {
    const { facts, problems } = parseFixture(
      parseNetstatConn,
      "netstat-conn/scenario-37__syn-flood-blog__netstat-ptuan.txt",
    );
    expect(facts.by_state).toEqual({ "SYN-RECV": 10 });
    expect(facts.syn_recv_peers).toBe(10);
    expect(facts.sockets[0]).toMatchObject({
      local_address: "192.0.2.10",
      local_port: 443,
      peer_address: "198.18.135.235",
      peer_port: 47130,
    });
    expect(facts.sockets[9].peer_address).toBe("198.18.132.120");
    expect(problems).toEqual([
      expect.objectContaining({ line: 2, text: "..." }),
      expect.objectContaining({ line: 13, text: "..." }),
    ]);
  });

  it("reads UDP with an empty state, -e with names, raw with a numeric state", () => {
    const text = [
      "Active Internet connections (servers and established)",
      "Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name",
      "udp        0      0 0.0.0.0:68              0.0.0.0:*                           root       12345      702/dhclient",
      "udp6       0      0 fe80::1%eth0:546        :::*                                systemd-network 2345  -",
      "tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      root       1111       861/sshd: /usr/sbin",
      "raw6       0      0 :::58                   :::*                    7           root       3333       -",
      "",
    ].join("\n");
    const { facts, problems } = parseText(parseNetstatConn, text);
    expect(problems).toEqual([]);
    expect(facts.sockets[0]).toMatchObject({
      netid: "udp",
      state: "UNCONN",
      local_port: 68,
      user: "root",
      ino: 12345,
      process: [{ name: "dhclient", pid: 702 }],
    });
    expect(facts.sockets[1]).toMatchObject({
      netid: "udp",
      local_address: "fe80::1",
      local_scope: "eth0",
      local_port: 546,
    });
    expect(facts.sockets[2].process).toEqual([{ name: "sshd: /usr/sbin", pid: 861 }]);
    expect(facts.sockets[3]).toMatchObject({
      netid: "raw",
      state: "UNCONN",
      local_port: 58,
      ino: 3333,
    });
  });

  it("skips netstat's non-root notice and records prompts", () => {
    const { facts, problems } = parseText(
      parseNetstatConn,
      "$ netstat -tanp\n(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\ntcp 0 0 10.0.0.1:22 10.0.0.2:5000 ESTABLISHED -\n",
    );
    expect(facts.total).toBe(1);
    expect(problems).toEqual([expect.objectContaining({ line: 1, text: "$ netstat -tanp" })]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseNetstatConn, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseNetstatConn, "\u0000\u00ff garbage\n")).toThrow(
      UnrecognisedOutputError,
    );
    let seed = 11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: rand() % 300 }, () =>
        String.fromCharCode(rand() % 256),
      ).join("");
      try {
        parseText(parseNetstatConn, text);
      } catch (err) {
        expect(err).toBeInstanceOf(UnrecognisedOutputError);
      }
    }
  });

  const files = [
    "netstat-conn/vm-debian12-k6.18__netstat-tan.txt",
    "netstat-conn/vm-debian12-k6.18__netstat-tunaope.txt",
    "netstat-conn/vm-debian12-k6.18__netstat-anp.txt",
  ];
  it.skipIf(!hasJc).each(files)(
    `agrees with jc --netstat on queues, endpoints, state and process: %s${hasJc ? "" : " (skipped: /usr/bin/jc is not installed)"}`,
    (file) => {
      const ours = parseFixture(parseNetstatConn, file).facts.sockets;
      const theirs = JSON.parse(
        execFileSync(JC, ["--netstat"], {
          input: execFileSync("cat", [fixturePath(file)]),
        }).toString(),
      ) as Record<string, unknown>[];
      expect(theirs).toHaveLength(ours.length);
      theirs.forEach((j, i) => {
        const o = ours[i];
        expect(o.proto).toBe(j.proto);
        expect(o.process?.[0]?.pid).toBe(j.pid);
        // jc cuts a program name at its first blank when a Timer column follows
        // ("redis-server 1" → "redis-server"): compare the first word.
        const word = (x: unknown) => (typeof x === "string" ? x.split(" ")[0] : null);
        expect(word(o.process?.[0]?.name)).toBe(word(j.program_name));
        if (j.proto === "unix") {
          expect(o.local_port).toBe(j.inode);
          expect(o.local_address).toBe(j.path ?? "*");
          return;
        }
        expect([o.recv_q, o.send_q, o.local_address, o.peer_address]).toEqual([
          j.recv_q,
          j.send_q,
          j.local_address,
          j.foreign_address,
        ]);
        expect(String(o.local_port)).toBe(j.local_port);
        expect(String(o.peer_port ?? "*")).toBe(j.foreign_port);
        if (j.inode !== undefined) expect(o.ino).toBe(j.inode);
      });
    },
  );
});
