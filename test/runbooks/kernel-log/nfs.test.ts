import { describe, expect, it } from "vitest";
import { nfs } from "../../../src/derive/kernel-log/nfs.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";

/** Scenario 05: `%s: server %s not responding, still trying` then `server %s OK` (net/sunrpc/clnt.c). */
const NFS_LINES = bundleDmesg("05-hung-task-nfs-nic-offload-bug")
  .split("\n")
  .filter((l) => l.includes("nfs: server"));

describe("nfs judge (net/sunrpc/clnt.c)", () => {
  it("counts the not-responding messages, names the server, and sees it answer again", () => {
    expect(NFS_LINES).toHaveLength(4);
    const bag = judgeWith(nfs, NFS_LINES);
    expect(found(bag)).toEqual({
      "nfs.not_responding": 2,
      "nfs.server": "host-b",
      "nfs.recovered": true,
    });
    expect(bag.excerpts.get("nfs.not_responding")).toBe(
      "[ 3223.539141] nfs: server host-b not responding, still trying",
    );
    // The server and the recovery are read from the last not-responding message.
    expect(bag.excerpts.get("nfs.server")).toBe(
      "[ 3224.579687] nfs: server host-b not responding, still trying",
    );
    expect(bag.sources.get("nfs.recovered")).toBe("dmesg");
  });

  it("says the server has not recovered when no OK follows the last message", () => {
    const bag = judgeWith(nfs, NFS_LINES.slice(0, 2));
    expect(bag.values.get("nfs.not_responding")).toBe(2);
    expect(bag.values.get("nfs.recovered")).toBe(false);
  });

  it("sets nothing of its own for OK lines alone, a hung task, or messages older than the look-back", () => {
    expect(found(judgeWith(nfs, NFS_LINES.slice(2)))).toEqual({});
    const hung = judgeWith(nfs, bundleDmesg("29-hung-task-jbd2-dirty-writeback-slow-storage"));
    expect(found(hung)).toEqual({});
    expect(hung.excerpts.size).toBe(0);
    const old = judgeWith(nfs, NFS_LINES, { uptimeS: 3224.63 + 3601 });
    expect(found(old)).toEqual({});
    expect(old.values.has("nfs.server")).toBe(false);
  });
});
