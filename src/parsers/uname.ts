import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts from `uname -a`.
 *
 * Command (collector): `uname -a`. Sample:
 * ```
 * Linux host-a 4.15.0-65-generic #74-Ubuntu SMP Tue Sep 17 17:06:04 UTC 2019 x86_64 x86_64 x86_64 GNU/Linux
 * ```
 * Yields: `kernel_release = "4.15.0-65-generic"`, `kernel_major = 4`, `kernel_minor = 15`.
 * Yields: `machine = "x86_64"`.
 * Fields, in order: kernel name, node name, kernel release, kernel version (free text with
 * spaces: `#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)`), machine, processor,
 * hardware platform, operating system. GNU uname leaves out processor and hardware platform
 * when they are `unknown` (Debian, Ubuntu from 2020 on), so the line may end with only
 * `x86_64 GNU/Linux`; old RHEL prints `i686 i686 i386`; busybox ends with `Linux`.
 * Variants read: those, RT kernels (`PREEMPT RT`, `.rt56.` releases), a pasted prompt or a
 * `COMMAND> uname -a` debug line (recorded as a problem), `uname -r` alone (release only).
 * Source: uname(1), GNU coreutils uname.c.
 */
export interface UnameFacts {
  kernel_name?: string;
  nodename?: string;
  kernel_release?: string;
  kernel_version?: string;
  machine?: string;
  processor?: string;
  hardware_platform?: string;
  operating_system?: string;
  /** Numeric parts of the release: `4.15.0-65-generic` → 4, 15, 0. */
  kernel_major?: number;
  kernel_minor?: number;
  kernel_patch?: number;
  /** A PREEMPT_RT kernel (`PREEMPT RT` / `PREEMPT_RT` in the version or `.rt` in the release). */
  realtime?: boolean;
}

const ARCH =
  /^(x86_64|amd64|i[3-7]86|athlon|pentium\w*|aarch64(_be)?|arm\w*|ppc\w*|powerpc\w*|s390x?|riscv\w*|mips\w*|sparc\w*|ia64|alpha|loongarch\w*|parisc\w*|m68k|sh\d*\w*|unknown)$/;
const RELEASE = /^(\d+)\.(\d+)(?:\.(\d+))?/;

/**
 * Parses `uname -a` (see {@link UnameFacts}). Throws UnrecognisedOutputError when no line
 * has a kernel release in the third field (nor is a bare release).
 */
export function parseUname(lines: Iterable<string>): ParseResult<UnameFacts> {
  const problems = new ProblemLog();
  let facts: UnameFacts | undefined;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const t = fields(line);
    if (facts) {
      problems.add(n, line, "more than one uname line: the first is kept");
      continue;
    }
    if (t.length === 1 && RELEASE.test(t[0])) {
      facts = { kernel_release: t[0] };
      continue;
    }
    if (t.length >= 4 && RELEASE.test(t[2]) && /^[A-Za-z]/.test(t[0])) {
      let end = t.length;
      let os: string | undefined;
      if (!ARCH.test(t[end - 1])) {
        os = t[end - 1];
        end--;
      }
      const arch: string[] = [];
      while (arch.length < 3 && end > 4 && ARCH.test(t[end - 1])) {
        arch.unshift(t[end - 1]);
        end--;
      }
      facts = {
        kernel_name: t[0],
        nodename: t[1],
        kernel_release: t[2],
      };
      if (end > 3) facts.kernel_version = t.slice(3, end).join(" ");
      if (arch[0]) facts.machine = arch[0];
      if (arch[1]) facts.processor = arch[1];
      if (arch[2]) facts.hardware_platform = arch[2];
      if (os) facts.operating_system = os;
      continue;
    }
    problems.add(n, line, "not a uname -a line");
  }
  if (!facts) throw new UnrecognisedOutputError("uname");
  const m = RELEASE.exec(facts.kernel_release ?? "");
  if (m) {
    facts.kernel_major = Number(m[1]);
    facts.kernel_minor = Number(m[2]);
    if (m[3] !== undefined) facts.kernel_patch = Number(m[3]);
  }
  facts.realtime =
    /\bPREEMPT[ _]RT\b/.test(facts.kernel_version ?? "") ||
    /[.-]rt\d/.test(facts.kernel_release ?? "");
  return { facts, problems: problems.list() };
}
