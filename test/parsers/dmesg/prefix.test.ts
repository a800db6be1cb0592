import { describe, expect, it } from "vitest";
import { readPrefix } from "../../../src/parsers/dmesg/prefix.js";

describe("kernel-log prefixes", () => {
  it.each([
    ["[ 3223.539141] nfs: server host-b OK", { t_s: 3223.539141 }],
    ["[Wed Dec 19 03:36:07 2018] INFO: task", { wallclock: "2018-12-19T03:36:07" }],
    ["Dec 11 10:48:09 host-a kernel: thrash invoked", { wallclock: "--12-11T10:48:09" }],
    [
      "Sep  7 16:36:18 server kernel: [5359680.372082] INFO: task",
      { wallclock: "--09-07T16:36:18", t_s: 5359680.372082 },
    ],
    ["2026-11-30T10:00:00+0000 host kernel: msg", { wallclock: "2026-11-30T10:00:00+00:00" }],
    ["[   12.345678] host kernel: msg", { t_s: 12.345678, msg: "msg" }],
    ["kern  :err   : [ 12.3] msg", { level: "err", t_s: 12.3, msg: "msg" }],
    ["6,1234,5678901,-;msg", { level: "info", t_s: 5.678901, msg: "msg" }],
  ])("%s", (line, want) => {
    expect(readPrefix(line)).toMatchObject({ stamped: true, ...want });
  });

  it("marks other programs' syslog lines foreign", () => {
    expect(readPrefix("Dec 11 10:48:09 host-a sshd[123]: Accepted key").foreign).toBe(true);
  });
});
