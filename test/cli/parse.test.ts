import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseIostat } from "../../src/parsers/iostat.js";
import { linesOf } from "../../src/parsers/lines.js";
import { parseSs } from "../../src/parsers/ss.js";
import { BIN, runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * `diagbot parse` streams its input and, for a large table, its output: the rows are written
 * as they are read. The document is one line of JSON with the same value as the facts the
 * parser returns in memory, from a file and from standard input.
 */

const dir = mkdtempSync(join(tmpdir(), "diagbot-parse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ssTable(sockets: number): string {
  const out = ["Netid State  Recv-Q Send-Q   Local Address:Port    Peer Address:Port Process"];
  out.push(
    'tcp   LISTEN 3      128          0.0.0.0:22           0.0.0.0:*     users:(("sshd",pid=1,fd=3))',
  );
  for (let i = 0; i < sockets; i++) {
    const peer =
      i % 3 === 0 ? `[2001:db8::${i.toString(16)}]` : `10.1.${(i >> 8) & 255}.${i & 255}`;
    out.push(
      `tcp   ESTAB  ${i % 5}      ${i % 7}       10.0.0.5:443   ${peer}:${1024 + (i % 60000)}`,
    );
    if (i % 2 === 0)
      out.push(
        `\t cubic wscale:7,7 rto:204 rtt:${i % 90}.5/0.25 cwnd:10 send ${i}bps retrans:0/${i % 4}`,
      );
  }
  return `${out.join("\n")}\n`;
}

describe("diagbot parse", () => {
  it("prints the facts of a table larger than one output batch as one line of JSON", async () => {
    const text = ssTable(6000);
    const file = join(dir, "ss.out");
    writeFileSync(file, text);
    const { facts, problems } = parseSs(linesOf(text));
    const want = JSON.parse(JSON.stringify({ collector: "ss-tcp", facts, problems }));
    expect(facts.sockets).toHaveLength(6001);

    const fromFile = await runCli(["parse", "ss-tcp", file, "--json"]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout.trimEnd()).not.toContain("\n");
    expect(JSON.parse(fromFile.stdout)).toEqual(want);
    const fromStdin = await runCli(["parse", "ss-tcp", "-", "--json"], { input: text });
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it("streams iostat device rows with the same summaries", async () => {
    const fixture = fixturePath("iostat/jc__ubuntu-20.10__iostat-x.out.txt");
    const { facts, problems } = parseIostat(linesOf(readFileSync(fixture, "utf8")));
    expect(facts.devices.length).toBeGreaterThan(0);
    const out = await runCli(["parse", "iostat", fixture, "--json"]);
    expect(out.code).toBe(0);
    expect(out.json).toEqual(JSON.parse(JSON.stringify({ collector: "iostat", facts, problems })));
  });

  it("stops quietly when the reader goes away (| head)", () => {
    const file = join(dir, "ss-big.out");
    writeFileSync(file, ssTable(40_000));
    const r = spawnSync(
      "bash",
      [
        "-c",
        `node '${BIN}' parse ss-tcp '${file}' --json | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}`,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("0");
  });

  it("an unknown id exits 2 naming the closest ids", async () => {
    const r = await runCli(["parse", "iostt", "/dev/null"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no parser for collector id "iostt"');
    expect(r.stderr).toMatch(/hint: closest ids: iostat(, |\s)/);
  });

  it("refuses to wait on a terminal when no FILE is given", () => {
    // script(1) gives the command a terminal for its standard input.
    const r = spawnSync("script", ["-qec", `node '${BIN}' parse dmesg`, "/dev/null"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("standard input is a terminal");
  });

  it("exits 0 on a header alone and 1 when nothing of the format is there", async () => {
    const header = await runCli(["parse", "ss-tcp", "-", "--json"], {
      input: "State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n",
    });
    expect(header.code).toBe(0);
    expect(header.json.facts.total).toBe(0);
    const garbage = await runCli(["parse", "ss-tcp", "-", "--json"], { input: "\u0000\u00ff\n" });
    expect(garbage.code).toBe(1);
  });

  it("refuses a stream of zeros at its first read, in bounded memory, from a file and a pipe", () => {
    const file = join(dir, "zeros");
    writeFileSync(file, Buffer.alloc(40 << 20));
    for (const cmd of [
      `/usr/bin/time -f %M node '${BIN}' parse free '${file}'`,
      `/usr/bin/time -f %M node '${BIN}' parse free - < '${file}'`,
    ]) {
      const r = spawnSync("bash", ["-c", cmd], { encoding: "utf8" });
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines[0]).toBe("diagbot: free: not free output: binary data (a NUL byte on line 1)");
      // Peak resident set in KiB: node itself is some 50 MiB; reading the stream whole was 200.
      expect(Number(lines[lines.length - 1])).toBeLessThan(100 << 10);
    }
  });

  it("refuses a line of 1 MiB or more, binary or not", async () => {
    const long = `total used\n${"a".repeat(1 << 20)}\n`;
    const r = await runCli(["parse", "free", "-"], { input: long });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not free output: line 2 is 1 MiB or longer");
  });

  it("says what is wrong with a file it cannot read, exit 2", async () => {
    const missing = await runCli(["parse", "free", join(dir, "nonexistent")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^diagbot: parse free: \S*nonexistent: no such file\n {2}hint: /,
    );
    const folder = await runCli(["parse", "free", dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`parse free: ${dir}: a directory, not a file`);
    expect(folder.stderr).not.toMatch(/EISDIR|ENOENT/);
    const stream = await runCli(["parse", "dmesg", "/proc/self/mem"]);
    expect(stream.code).toBe(2);
    expect(stream.stderr).toContain("parse dmesg: /proc/self/mem: an I/O error");
  });
});
