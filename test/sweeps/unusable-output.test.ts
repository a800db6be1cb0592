import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

/**
 * A replay host whose bundle holds no output diagbot can use is `failed` in a sweep, as
 * `diagnose` exits 3 on it: `dmesg.out` is random bytes (refused as binary data,
 * src/parsers/refuse.ts) and `iostat.out` is text of no known format (no line of iostat's
 * `Device` table or `avg-cpu` block, iostat(1)). The control is the healthy replay bundle of
 * test/fixtures/sweeps/healthy (a `df` and an `ss -ltn` of an idle host), which stays `ok`.
 */
const HEALTHY = fileURLToPath(new URL("../fixtures/sweeps/healthy", import.meta.url));

let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "diagbot-junk-"));
  await mkdir(join(root, "junk"));
  await writeFile(join(root, "junk", "dmesg.out"), randomBytes(4096));
  await writeFile(
    join(root, "junk", "iostat.out"),
    "hello from the junk drawer\nthis is not what any tool prints\n== 42 ## lorem ipsum ==\n",
  );
  const inventory = join(root, "inventory.yaml");
  await writeFile(
    inventory,
    [
      "hosts:",
      "  junkb: { transport: replay, bundle: ./junk, groups: [mixed] }",
      `  calm-01: { transport: replay, bundle: ${JSON.stringify(HEALTHY)}, groups: [mixed] }`,
      "",
    ].join("\n"),
  );
  env = { DIAGBOT_INVENTORY: inventory };
});

const ERROR = "no collector gave output that could be used on junkb";

describe("sweep: a replay host with no usable output", () => {
  it("is failed with no-collector-ran, each collector's reason and what to check: exit 3", async () => {
    const r = await runCli(["sweep", "junkb", "--json"], { env });
    expect(r.code, r.stderr).toBe(3);
    const [junk] = r.json.hosts;
    expect(junk).toMatchObject({
      host: "junkb",
      status: "failed",
      findings: [],
      error: ERROR,
      errorCode: "no-collector-ran",
    });
    expect(junk.hint).toMatch(/dmesg: not dmesg output: binary data/);
    expect(junk.hint).toMatch(/iostat: output not understood: .*no line of the expected format/);
    expect(junk.hint).toMatch(
      /check the evidence read: each output \(a bundle's <collector>\.out\)/,
    );
    expect(junk.hint).not.toContain("\n");
    expect(r.json.summary).toEqual({ hosts: 1, ok: 0, unreachable: 0, failed: 1, withFindings: 0 });
    expect(r.stderr).toContain(`diagbot: junkb: failed: ${ERROR}\n  hint: `);
  });

  it("diagnose says the same and exits 3", async () => {
    const r = await runCli(["diagnose", "junkb", "--json"], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`diagbot: ${ERROR}\n`);
    expect(r.stderr).toMatch(/hint: dmesg: not dmesg output: binary data/);
  });

  it("beside a healthy host: the healthy one stays ok, the junk one counts as failed: exit 4", async () => {
    const r = await runCli(["sweep", "mixed", "--json"], { env });
    expect(r.code, r.stderr).toBe(4);
    const byHost = Object.fromEntries(
      r.json.hosts.map((h: { host: string; status: string }) => [h.host, h.status]),
    );
    expect(byHost).toEqual({ junkb: "failed", "calm-01": "ok" });
    const calm = r.json.hosts.find((h: { host: string }) => h.host === "calm-01");
    expect(calm).not.toHaveProperty("error");
    expect(calm.findings).toEqual([]);
    expect(r.json.summary).toEqual({ hosts: 2, ok: 1, unreachable: 0, failed: 1, withFindings: 0 });
    const table = await runCli(["sweep", "mixed"], { env });
    expect(table.stdout).toMatch(/1 of 2 hosts healthy, 0 with findings, 0 unreachable, 1 failed/);
  });

  it("control: the healthy replay host alone is ok, exit 0", async () => {
    const r = await runCli(["sweep", "calm-01", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.hosts[0]).toMatchObject({ host: "calm-01", status: "ok", findings: [] });
    expect(r.json.summary).toEqual({ hosts: 1, ok: 1, unreachable: 0, failed: 0, withFindings: 0 });
  });
});
