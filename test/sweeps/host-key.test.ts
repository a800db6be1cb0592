import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/inventory.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { sweep } from "../../src/sweeps/sweep.js";
import type { HostResult } from "../../src/sweeps/types.js";
import {
  freePort,
  generateKey,
  type SshdHandle,
  sshdAvailable,
  startSshd,
} from "../helpers/sshd.js";

/**
 * A host whose key cannot be verified against known_hosts (no file, no pin, a changed key) is
 * `failed` with `errorCode: host-key-refused` and a reason naming the known_hosts file searched
 * and what to do; a host where nothing listens stays `unreachable`. Over a real loopback sshd;
 * no collector runs, so this is light.
 */
describe.skipIf(!sshdAvailable())("sweep: host keys that cannot be verified", () => {
  let sshd: SshdHandle;
  let byHost: Map<string, HostResult>;
  let files: Record<string, string>;

  beforeAll(async () => {
    sshd = await startSshd();
    const otherKey = await generateKey(`${sshd.dir}/other-host-key`);
    const [type, blob] = otherKey.split(" ");
    files = {
      missing: `${sshd.dir}/no-such-folder/known_hosts`,
      empty: sshd.writeFile("kh-empty", ""),
      changed: sshd.writeFile("kh-changed", `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`),
    };
    const inventory = sshd.writeInventory(
      {
        "no-file": { address: "127.0.0.1", knownHosts: files.missing, groups: ["fleet"] },
        "no-pin": { address: "127.0.0.1", knownHosts: files.empty, groups: ["fleet"] },
        changed: { address: "127.0.0.1", knownHosts: files.changed, groups: ["fleet"] },
        // Pinned, but nothing listens there.
        gone: { address: "127.0.0.1", port: await freePort(), groups: ["fleet"] },
      },
      "host-keys.yaml",
    );
    const hosts = [...(await loadInventory(inventory)).hosts.values()];
    const result = await sweep(hosts, {
      target: "fleet",
      runbooks: await loadRunbooks(),
      concurrency: 4,
      windowSeconds: 1,
    });
    byHost = new Map(result.hosts.map((h) => [h.host, h]));
    expect(result.summary).toMatchObject({ hosts: 4, ok: 0, unreachable: 1, failed: 3 });
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("a missing known_hosts file: failed, naming the file searched and the fix", () => {
    const h = byHost.get("no-file")!;
    expect(h).toMatchObject({ status: "failed", errorCode: "host-key-refused" });
    expect(h.error).toContain(
      `cannot read known_hosts ${files.missing} for no-file: no such file (the one file searched: the inventory's knownHosts, default ~/.ssh/known_hosts); its host key cannot be verified`,
    );
    expect(h.hint).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${files.missing}`);
    expect(h.hint).toMatch(/verify the fingerprint out of band/);
    expect(h.hint).toMatch(/point knownHosts at it/);
  });

  it("no pin for the host: failed, naming the file and the names looked up", () => {
    const h = byHost.get("no-pin")!;
    expect(h).toMatchObject({ status: "failed", errorCode: "host-key-refused" });
    expect(h.error).toContain(
      `no host key pinned for no-pin (127.0.0.1:${sshd.port}) in ${files.empty} (looked up as [127.0.0.1]:${sshd.port}, 127.0.0.1, no-pin), the one file searched`,
    );
    expect(h.hint).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${files.empty}`);
  });

  it("a changed key (the host answered): failed, with both fingerprints", () => {
    const h = byHost.get("changed")!;
    expect(h).toMatchObject({ status: "failed", errorCode: "host-key-refused" });
    expect(h.error).toMatch(
      /has CHANGED \(possible man-in-the-middle attack\): presented ssh-ed25519 SHA256:/,
    );
    expect(h.error).toContain(`pinned in ${files.changed}`);
  });

  it("nothing listening stays unreachable", () => {
    const h = byHost.get("gone")!;
    expect(h).toMatchObject({ status: "unreachable", errorCode: "connect-failed" });
    expect(h.error).toMatch(/connection refused/);
  });
});
