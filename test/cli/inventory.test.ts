import { mkdtemp, open, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

const inv = (name: string) => fixturePath(`inventory/${name}`);

describe("diagbot diagnose with imported inventories", () => {
  it("diagnoses a replay host from its bundle and prints unsupported constructs on stderr", async () => {
    const r = await runCli(["diagnose", "lab-7", "memory", "--json"], {
      env: { DIAGBOT_INVENTORY: `${inv("basic/replay.yaml")}:${inv("evil/unsupported.ini")}` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.hypotheses.length).toBeGreaterThan(0);
    expect(r.json.hypotheses[0].category).toMatch(/oom|memory/);
    // The inventory's name, whatever host saved the bundle: the same key a sweep gives.
    expect(r.json.host).toBe("lab-7");
    expect(r.json.hypotheses[0].key).toMatch(/^lab-7\//);
    expect(r.stderr).toMatch(
      /diagbot: inventory: .*unsupported\.ini:2: ansible_connection=winrm: .*win-1 left out/,
    );
    expect(r.stderr).toMatch(/unsupported\.ini:2: ansible_password: passwords are not used/);
  });

  it("exits 2 naming the folder when a replay host's bundle is missing", async () => {
    const r = await runCli(["diagnose", "gone"], {
      env: { DIAGBOT_INVENTORY: inv("missing/replay-no-bundle.yaml") },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host gone: its replay bundle .*no-such-bundle is not a folder/);
  });
});

describe("an inventory that is not text, or has many syntax errors", () => {
  it("a binary file is refused in one line: exit 2", async () => {
    // The head of the node binary: real ELF bytes, within the size an inventory may have.
    const dir = await mkdtemp(join(tmpdir(), "diagbot-inv-"));
    const file = join(dir, "inventory.yaml");
    const node = await open(process.execPath);
    const { buffer } = await node.read(Buffer.alloc(64 << 10), 0, 64 << 10, 0);
    await node.close();
    await writeFile(file, buffer);
    const r = await runCli(["sweep", "all"], { env: { DIAGBOT_INVENTORY: file } });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^diagbot: .+: not a text file: binary data \(a NUL byte at offset \d+\)$/,
    );
    expect(lines[1]).toMatch(/^ {2}hint: /);
  });

  it("YAML syntax errors are shown up to 10, then how many more", async () => {
    const dir = await mkdtemp(join(tmpdir(), "diagbot-inv-"));
    const file = join(dir, "inventory.yaml");
    await writeFile(file, `hosts:\n${"  a: x\n ]\n".repeat(30)}`);
    const r = await runCli(["sweep", "all"], { env: { DIAGBOT_INVENTORY: file } });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(12);
    expect(lines.filter((l) => l.includes("YAML syntax: "))).toHaveLength(10);
    expect(lines[10]).toMatch(new RegExp(`^${file}: … and \\d+ more$`));
  });
});
