import { describe, expect, it } from "vitest";
import { parseCgroupCpu } from "../../src/parsers/cgroup-cpu.js";
import { parseCgroupMemory } from "../../src/parsers/cgroup-memory.js";
import { parseCgroupPids } from "../../src/parsers/cgroup-pids.js";
import { parseClocksource } from "../../src/parsers/clocksource.js";
import { parseDeletedOpenFiles } from "../../src/parsers/deleted-open-files.js";
import { parseDf } from "../../src/parsers/df.js";
import { parseFileNr } from "../../src/parsers/file-nr.js";
import { parseOpenFiles } from "../../src/parsers/open-files.js";
import { parsePressure } from "../../src/parsers/pressure.js";
import { parseProcFds } from "../../src/parsers/proc-fds.js";
import { parseProcLimits } from "../../src/parsers/proc-limits.js";
import { parseSysctl } from "../../src/parsers/sysctl.js";
import type { Parser } from "../../src/parsers/types.js";
import { expectOnlyUnrecognised } from "../helpers/garbage.js";

/** Arbitrary bytes, and fragments of the real formats cut anywhere: only UnrecognisedOutputError. */
const PARSERS: [string, Parser<unknown>][] = [
  ["df", parseDf],
  ["sysctl", parseSysctl],
  ["file-nr", parseFileNr],
  ["proc-fds", parseProcFds],
  ["proc-limits", parseProcLimits],
  ["pressure", parsePressure],
  ["cgroup-cpu", parseCgroupCpu],
  ["cgroup-memory", parseCgroupMemory],
  ["cgroup-pids", parseCgroupPids],
  ["deleted-open-files", parseDeletedOpenFiles],
  ["open-files", parseOpenFiles],
  ["clocksource", parseClocksource],
];

const PIECES = [
  "Filesystem Type 1024-blocks Used Available Capacity Mounted on\n",
  "/dev/mapper/very-long-name\n\n   123 45 67 41% /srv/a b\n",
  "tmpfs 1.9G 12k - -% /run\n",
  "net.ipv4.tcp_mem = 1\t2\nnet.ipv4.ip_local_port_range = 9\n",
  "sysctl: cannot stat /proc/sys/x: No such\n",
  "757\t0\t2466177\n",
  "PID NFDS SOFT HARD COMM\n1 - unlimited x a b\nSUMMARY processes=1 readable=\n",
  "==> /proc/1/limits <==\nLimit Soft Limit Hard Limit Units\nMax open files 1024 unl\n",
  "some avg10=0.00 avg60=x avg300=0.00 total=1\nfull avg10=\n",
  "==> /sys/fs/cgroup/ <==\n==> /sys/fs/cgroup/a/cpu.max <==\nmax\n",
  "==> /sys/fs/cgroup/memory/x/memory.limit_in_bytes <==\n-1\nnr_periods 4\n",
  "==> /sys/fs/cgroup/pids/pids.max <==\n\n",
  "COMMAND PID TID TASKCMD USER FD TYPE DEVICE SIZE/OFF NLINK NODE NAME\n",
  "x 12 13 y root 3u REG 8,1 99 0 7 /a (deleted)\n",
  " 1 0 lrwx------ 1 r r 64 Nov 2 08:00 /proc/9/fd/1 -> /x\\ (deleted)\n",
  "==> /sys/devices/system/clocksource/clocksource0/current_clocksource <==\n",
  "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
];

describe("filesystem, limits and cgroup parsers on arbitrary input", () => {
  it.each(PARSERS)("%s throws nothing but UnrecognisedOutputError", (_name, parser) => {
    const { read, unrecognised } = expectOnlyUnrecognised(parser, PIECES, 20240611);
    expect(read + unrecognised).toBe(300);
    // The inputs reach the parser's reading, not only its refusal.
    expect(read).toBeGreaterThan(0);
  });
});
