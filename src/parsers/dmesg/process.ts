/**
 * Process family: user-space processes killed by a fault the kernel reports (segfaults, general
 * protection faults, traps, arm64 unhandled exceptions) and the system-wide open-file limit.
 * Sources: arch/x86/mm/fault.c show_signal_msg, arch/x86/kernel/traps.c, arch/arm64/mm/fault.c,
 * fs/file_table.c alloc_empty_file.
 */
import type { SimpleEvent } from "./events.js";
import type { Family } from "./reader.js";

/** arch/x86/mm/fault.c show_signal_msg: `%s%s[%d]: segfault at %lx ip %px sp %px error %lx[ in %s[%lx+%lx]]`; arch/x86/kernel/traps.c: `traps: %s[%d] general protection fault ip:%lx sp:%lx error:%lx`, `%s[%d] trap %s ip:%lx sp:%lx error:%lx`; arch/arm64 `%s[%d]: unhandled …`. */
const SEGFAULT =
  /^(?:traps: )?(\S.*?)\[(\d+)\]:? (?:segfault at ([0-9a-f]+) ip ([0-9a-f]+) sp [0-9a-f]+ error (\w+)|general protection fault ip:([0-9a-f]+) sp:[0-9a-f]+ error:(\w+)|trap (.+?) ip:([0-9a-f]+) sp:[0-9a-f]+ error:(\w+)|unhandled (.+?) \(\d+\) at (0x[0-9a-f]+))(?:.*? in (\S+?)\[)?/;
/** fs/file_table.c alloc_empty_file: `VFS: file-max limit %lu reached`. */
const FILE_MAX = /^VFS: file-max limit (\d+) reached/;

/** The fault's fields: which alternative of SEGFAULT matched says what kind of fault it was. */
function readFault(e: SimpleEvent, m: RegExpExecArray): void {
  if (m[3] !== undefined) {
    e.fault_address = m[3];
    e.ip = m[4];
    e.error = m[5];
    e.detail = "segfault";
  } else if (m[6] !== undefined) {
    e.ip = m[6];
    e.error = m[7];
    e.detail = "general protection fault";
  } else if (m[8] !== undefined) {
    e.ip = m[9];
    e.error = m[10];
    e.detail = `trap ${m[8]}`;
  } else if (m[11] !== undefined) {
    e.fault_address = m[12];
    e.detail = `unhandled ${m[11]}`;
  }
  if (m[13]) e.object = m[13];
}

export const processFaults: Family = {
  name: "process",
  sources: [
    "arch/x86/mm/fault.c",
    "arch/x86/kernel/traps.c",
    "arch/arm64/mm/fault.c",
    "fs/file_table.c",
  ],
  classify(r, p, t, raw) {
    const m = SEGFAULT.exec(t);
    if (m) {
      const e: SimpleEvent = {
        ...r.base("segfault", p, raw),
        kind: "segfault",
        process: m[1],
        pid: Number(m[2]),
      };
      readFault(e, m);
      return r.single(e);
    }
    const f = FILE_MAX.exec(t);
    if (!f) return false;
    return r.single({ ...r.base("file-max", p, raw), kind: "file-max", limit: Number(f[1]) });
  },
};
