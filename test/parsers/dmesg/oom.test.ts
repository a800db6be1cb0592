import { describe, expect, it } from "vitest";
import { oom } from "../../../src/parsers/dmesg/oom.js";
import { isListed, readWith } from "./read-with.js";

describe("OOM family (mm/oom_kill.c, mm/page_alloc.c)", () => {
  it("is listed with its sources", () => expect(isListed(oom)).toBe(true));

  it("reads an OOM report into one event: headline, summary, kill line", () => {
    // scenario-09 / the parser's doc sample (a real production log)
    const events = readWith(oom, [
      "Dec 11 10:48:09 host-a kernel: thrash invoked oom-killer: gfp_mask=0xd0, order=0, oom_score_adj=0",
      "[1942275.993650] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0-1,global_oom,task_memcg=/user.slice,task=mo-service,pid=3466589,uid=1028",
      "[1942275.993934] Out of memory: Killed process 3466589 (mo-service) total-vm:95320364kB, anon-rss:77996632kB, file-rss:88kB, shmem-rss:0kB, UID:1028 pgtables:170544kB oom_score_adj:0",
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: "oom-kill",
      invoked_by: "thrash",
      gfp_mask: "0xd0",
      order: 0,
      constraint: "none",
      task_memcg: "/user.slice",
      process: "mo-service",
      pid: 3466589,
      anon_rss_kb: 77996632,
      end_line: 3,
    });
  });

  it("leaves lines of other families alone", () => {
    expect(readWith(oom, ["[ 4716.5] nf_conntrack: table full, dropping packet"])).toEqual([]);
  });
});
