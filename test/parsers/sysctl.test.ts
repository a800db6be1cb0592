import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSysctl, SYSCTL_KEYS } from "../../src/parsers/sysctl.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { fixturePath, parseFixture, parseText } from "../helpers/fixtures.js";

const JC = "/usr/bin/jc";
const hasJc = existsSync(JC);

describe("sysctl parser", () => {
  it("reads the collector's key list (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseSysctl,
      "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt",
    );
    expect(problems).toEqual([]);
    // Captured with the first 19 keys: net.ipv4.tcp_sack joined the list later.
    const later = ["net.ipv4.tcp_sack"];
    expect(Object.keys(facts.values)).toEqual(SYSCTL_KEYS.filter((k) => !later.includes(k)));
    expect(facts.net_core_somaxconn).toBe(4096);
    expect(facts.net_ipv4_tcp_tw_reuse).toBe(2);
    expect(facts.net_ipv4_ip_local_port_range).toEqual([32768, 60999]);
    expect(facts.ip_local_port_count).toBe(28232);
    expect(facts.net_ipv4_tcp_mem_pages).toEqual([287901, 383868, 575802]);
    expect(facts.fs_file_max).toBe(2466177);
    expect(facts.kernel_threads_max).toBe(192730);
    expect(facts.vm_min_free_kbytes).toBe(67584);
    expect(facts.values["net.ipv4.tcp_mem"]).toBe("287901\t383868\t575802");
  });

  it("reads sysctl -a of a 3.10 kernel (jc centos-7.7)", () => {
    const { facts, problems } = parseFixture(
      parseSysctl,
      "sysctl/jc__centos-7.7__sysctl-a.out.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.values["abi.vsyscall32"]).toBe("1");
    expect(facts.values["kernel.hostname"]).toBe("localhost.localdomain");
    expect(facts.net_core_somaxconn).toBe(128);
    expect(facts.net_ipv4_tcp_mem_pages).toEqual([88053, 117406, 176106]);
    expect(facts.net_netfilter_nf_conntrack_max).toBe(65536);
    expect(facts.fs_file_max).toBe(379085);
    expect(facts.vm_swappiness).toBe(30);
    expect(facts.kernel_pid_max).toBe(131072);
    // a key printed on 24 lines keeps them all, in order
    const cdrom = facts.values["dev.cdrom.info"].split("\n");
    expect(cdrom).toHaveLength(24);
    expect(cdrom[0]).toBe("CD-ROM information, Id: cdrom.c 3.20 2003/12/17");
    expect(cdrom[2]).toBe("drive name:\t\tsr0");
  });

  it("reads one pasted key (scenario 24)", () => {
    const { facts, problems } = parseFixture(
      parseSysctl,
      "sysctl/scenario-24__flynn-issue-1205__sysctl.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.fs_file_max).toBe(2097152);
    expect(facts.values).toEqual({ "fs.file-max": "2097152" });
    expect(facts.net_core_somaxconn).toBeUndefined();
  });

  it("reads BSD `key: value`, error lines and a prompt", () => {
    const text = [
      "$ sysctl kern.maxfiles net.core.somaxconn net.nope",
      "kern.maxfiles: 12288",
      "net.core.somaxconn = 511",
      "sysctl: cannot stat /proc/sys/net/netfilter/nf_conntrack_max: No such file or directory",
      "sysctl: permission denied on key 'fs.protected_regular'",
      "sysctl: cannot stat /proc/sys/net/ipv4/conf/eth0.100/rp_filter: No such file or directory",
    ].join("\n");
    const { facts, problems } = parseText(parseSysctl, text);
    expect(facts.values["kern.maxfiles"]).toBe("12288");
    expect(facts.net_core_somaxconn).toBe(511);
    expect(facts.unknown_keys).toEqual([
      "net.netfilter.nf_conntrack_max",
      "net.ipv4.conf.eth0/100.rp_filter",
    ]);
    expect(facts.denied_keys).toEqual(["fs.protected_regular"]);
    expect(problems.map((p) => p.line)).toEqual([1, 4, 5, 6]);
  });

  it("records a typed key whose value is not the expected numbers", () => {
    const { facts, problems } = parseText(
      parseSysctl,
      "net.ipv4.tcp_mem = 1 2\nvm.swappiness = 60\n",
    );
    expect(facts.net_ipv4_tcp_mem_pages).toBeUndefined();
    expect(facts.values["net.ipv4.tcp_mem"]).toBe("1 2");
    expect(facts.vm_swappiness).toBe(60);
    expect(problems).toEqual([
      expect.objectContaining({ line: 1, reason: "expected 3 number(s)" }),
    ]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseSysctl, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseSysctl, "\u0000\u00ff garbage\nno equals here\n")).toThrow(
      UnrecognisedOutputError,
    );
  });

  const files = [
    "sysctl/jc__centos-7.7__sysctl-a.out.txt",
    "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt",
  ];
  it.skipIf(!hasJc).each(files)(
    `agrees with jc --sysctl on every key and value: %s${hasJc ? "" : " (skipped: /usr/bin/jc is not installed)"}`,
    (file) => {
      const ours = parseFixture(parseSysctl, file).facts.values;
      const theirs = JSON.parse(
        execFileSync(JC, ["--sysctl"], {
          input: execFileSync("cat", [fixturePath(file)]),
        }).toString(),
      ) as Record<string, string | number>;
      expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
      for (const [k, v] of Object.entries(theirs)) {
        // jc turns integer values into numbers (JSON.parse rounds those above 2^53) and keeps
        // trailing blanks
        if (typeof v === "number") expect(Number(ours[k]), k).toBe(v);
        else expect(ours[k].trimEnd(), k).toBe(v.trimEnd());
      }
    },
  );
});
