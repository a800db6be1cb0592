import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseUname } from "../../src/parsers/uname.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseUname, `uname/${name}`);

describe("uname parser", () => {
  it("reads RHEL 6 (insights-core UNAME1)", () => {
    const { facts, problems } = f("insights-core__test_uname__UNAME1.txt");
    expect(facts).toMatchObject({
      kernel_name: "Linux",
      nodename: "foo.example.com",
      kernel_release: "2.6.32-504.el6.x86_64",
      kernel_version: "#1 SMP Tue Sep 16 01:56:35 EDT 2014",
      machine: "x86_64",
      processor: "x86_64",
      hardware_platform: "x86_64",
      operating_system: "GNU/Linux",
      kernel_major: 2,
      kernel_minor: 6,
      kernel_patch: 32,
      realtime: false,
    });
    expect(problems).toEqual([]);
  });

  it("records the foreman debug line as a problem", () => {
    const { facts, problems } = f("insights-core__test_uname__UNAME_FOREMAN_DEBUG.txt");
    expect(facts.nodename).toBe("qqhrycsq2");
    expect(facts.kernel_release).toBe("2.6.32-279.el6.x86_64");
    expect(problems).toEqual([expect.objectContaining({ line: 1, text: "COMMAND> uname -a" })]);
  });

  it("recognises an RT kernel", () => {
    const { facts } = f("insights-core__test_uname__UNAME_RT_3.txt");
    expect(facts.realtime).toBe(true);
    expect(facts.kernel_version).toBe("#1 SMP PREEMPT RT Thu Oct 29 21:54:23 EDT 2015");
    expect(facts.kernel_release).toBe("3.10.0-327.rt56.204.el7.x86_64");
  });

  it("reads CentOS 7", () => {
    const { facts } = f("jc__centos-7.7__uname-a.out.txt");
    expect(facts.kernel_release).toBe("3.10.0-1062.1.2.el7.x86_64");
    expect(facts.kernel_minor).toBe(10);
    expect(facts.nodename).toBe("localhost.localdomain");
  });

  it("keeps machine, processor and platform apart (i686 i686 i386)", () => {
    const { facts } = f("jc__generic__uname-a-different-proc.out.txt");
    expect(facts).toMatchObject({ machine: "i686", processor: "i686", hardware_platform: "i386" });
    expect(facts.kernel_release).toBe("2.6.18-194.e15PAE");
  });

  it("reads Ubuntu 18.04", () => {
    const { facts } = f("jc__ubuntu-18.04__uname-a.out.txt");
    expect(facts.kernel_version).toBe("#74-Ubuntu SMP Tue Sep 17 17:06:04 UTC 2019");
    expect(facts.nodename).toBe("host-a");
    expect(facts.kernel_major).toBe(4);
  });

  it("reads a line without processor and platform (this project's VM)", () => {
    const { facts } = f("vm-debian12-k6.18__uname-a.txt");
    expect(facts).toMatchObject({
      nodename: "vm",
      kernel_release: "6.18.44-fc-v657",
      kernel_version: "#1 SMP PREEMPT_DYNAMIC @0",
      machine: "x86_64",
      operating_system: "GNU/Linux",
      kernel_patch: 44,
    });
    expect(facts.processor).toBeUndefined();
  });

  it("reads a Debian version with parentheses, a bare release, and a prompt", () => {
    const debian =
      "Linux db-1 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29) x86_64 GNU/Linux";
    expect(parseText(parseUname, debian).facts.kernel_version).toBe(
      "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)",
    );
    const { facts, problems } = parseText(parseUname, "$ uname -r\n5.15.0-91-generic\n");
    expect(facts).toMatchObject({
      kernel_release: "5.15.0-91-generic",
      kernel_major: 5,
      kernel_minor: 15,
    });
    expect(problems).toEqual([expect.objectContaining({ line: 1 })]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseUname, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseUname, "\u0000\u00ff garbage\n")).toThrow(UnrecognisedOutputError);
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("uname parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --uname${jcNote}`, () => {
    // Not processor/hardware_platform: jc 1.22 swaps them on `i686 i686 i386`.
    for (const name of [
      "jc__centos-7.7__uname-a.out.txt",
      "jc__ubuntu-18.04__uname-a.out.txt",
      "jc__generic__uname-a-different-proc.out.txt",
    ]) {
      const text = readFixture(`uname/${name}`);
      const theirs = JSON.parse(
        execFileSync(JC, ["--uname"], { input: text, encoding: "utf8" }),
      ) as Record<string, string>;
      const ours = parseText(parseUname, text).facts;
      expect(ours.kernel_name).toBe(theirs.kernel_name);
      expect(ours.nodename).toBe(theirs.node_name);
      expect(ours.kernel_release).toBe(theirs.kernel_release);
      expect(ours.kernel_version).toBe(theirs.kernel_version);
      expect(ours.machine).toBe(theirs.machine);
      expect(ours.operating_system).toBe(theirs.operating_system);
    }
  });
});
