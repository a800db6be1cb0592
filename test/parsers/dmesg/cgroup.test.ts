import { describe, expect, it } from "vitest";
import { cgroup } from "../../../src/parsers/dmesg/cgroup.js";
import { isListed, readWith } from "./read-with.js";

describe("cgroup family (kernel/cgroup/pids.c)", () => {
  it("is listed with its sources", () => expect(isListed(cgroup)).toBe(true));

  it("reads a fork refused by the pids controller", () => {
    const [e] = readWith(cgroup, [
      "[ 812.1] cgroup: fork rejected by pids controller in /system.slice/docker.service",
    ]);
    expect(e).toMatchObject({ kind: "pids-limit", cgroup: "/system.slice/docker.service" });
  });
});
