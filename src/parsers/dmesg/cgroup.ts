/**
 * Cgroup family: a fork refused because a cgroup reached its `pids.max`. Source:
 * kernel/cgroup/pids.c (pids_fork_event); Documentation/admin-guide/cgroup-v2.rst "PID".
 */
import type { Family } from "./reader.js";

/** kernel/cgroup/pids.c pids_fork_event: `cgroup: fork rejected by pids controller in %s`. */
const PIDS = /^(?:cgroup: )?fork rejected by pids controller in (\S+)/;

export const cgroup: Family = {
  name: "cgroup",
  sources: ["kernel/cgroup/pids.c", "Documentation/admin-guide/cgroup-v2.rst"],
  classify(r, p, t, raw) {
    const m = PIDS.exec(t);
    if (!m) return false;
    return r.single({ ...r.base("pids-limit", p, raw), kind: "pids-limit", cgroup: m[1] });
  },
};
