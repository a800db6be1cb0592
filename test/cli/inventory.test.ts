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
