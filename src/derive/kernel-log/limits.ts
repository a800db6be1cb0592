import type { SimpleEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Limits the kernel logs when reached: a cgroup's pids.max refusing forks (kernel/cgroup/pids.c)
 * and the system-wide file-max (fs/file_table.c).
 */
export const limits: LogJudge = {
  name: "limits",
  provides: [
    {
      path: "pids.log.fork_rejected",
      says: "{} `fork rejected by pids controller` messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`cgroup: fork rejected by pids controller` messages.",
    },
    {
      path: "pids.log.cgroup",
      type: "string",
      from: LOG,
      doc: "The cgroup the pids controller refused forks in (the last such message).",
    },
    {
      path: "fd.log.file_max",
      says: "{} `file-max limit reached` messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`VFS: file-max limit N reached` messages.",
    },
  ],
  judge(ev, bag) {
    const pids = ev.of("pids-limit");
    // The newest refusal is cited, the one whose cgroup the finding names.
    const lastPids = pids[pids.length - 1] as SimpleEvent | undefined;
    bag.set("pids.log.fork_rejected", pids.length, SRC, lastPids?.text);
    if (lastPids?.cgroup) bag.set("pids.log.cgroup", lastPids.cgroup, SRC, lastPids.text);
    const fm = ev.of("file-max");
    bag.set("fd.log.file_max", fm.length, SRC, fm[0]?.text);
  },
};
