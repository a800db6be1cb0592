/**
 * The running kernel against the support it still gets: a note in the report, never a
 * hypothesis. Upstream longterm lines are judged by kernel.org's projected end of life;
 * distribution kernels (RHEL, Ubuntu, Debian, SUSE, Amazon Linux) by their vendor's support,
 * since vendors backport fixes into kernels that upstream has long left behind.
 *
 * Sources (as of 2026-11): kernel.org "Active kernel releases" (longterm table, EOL dates as
 * extended in 2026); Red Hat Enterprise Linux Life Cycle; Ubuntu release cycle; Debian LTS;
 * SUSE product support lifecycle; Amazon Linux 2 FAQ. Dates are end of the month named.
 */

/** Upstream longterm lines: `major.minor` → projected end of life (YYYY-MM). */
export const UPSTREAM_LTS: Readonly<Record<string, string>> = {
  "4.4": "2022-02",
  "4.9": "2023-01",
  "4.14": "2024-01",
  "4.19": "2024-12",
  "5.4": "2025-12",
  "5.10": "2026-12",
  "5.15": "2026-12",
  "6.1": "2027-12",
  "6.6": "2027-12",
  "6.12": "2028-12",
  "6.18": "2028-12",
};

/** A vendor kernel family: how to recognise it from `uname -r`, and its support end. */
interface VendorLine {
  vendor: string;
  release: RegExp;
  /** Support end by product, keyed by a capture of `release` (or by kernel line). */
  ends: Readonly<Record<string, { product: string; end: string }>>;
  key: (m: RegExpExecArray, line: string) => string;
}

const VENDORS: readonly VendorLine[] = [
  {
    vendor: "Red Hat",
    release: /\.el(\d+)(?:_\d+)?[.\w]*$/,
    key: (m) => m[1],
    ends: {
      "6": { product: "RHEL 6 (maintenance ended; ELS only)", end: "2020-11" },
      "7": { product: "RHEL 7 (maintenance ended; ELS only)", end: "2024-06" },
      "8": { product: "RHEL 8", end: "2029-05" },
      "9": { product: "RHEL 9", end: "2032-05" },
      "10": { product: "RHEL 10", end: "2035-05" },
    },
  },
  {
    vendor: "Amazon Linux",
    release: /\.amzn(\d+)\./,
    key: (m) => m[1],
    ends: {
      "2": { product: "Amazon Linux 2", end: "2026-06" },
      "2023": { product: "Amazon Linux 2023", end: "2029-06" },
    },
  },
  {
    vendor: "Ubuntu",
    release: /^\d+\.\d+\.\d+-\d+-(generic|lowlatency|aws|azure|gcp|oracle|kvm|raspi|ibm|nvidia)/,
    key: (_m, line) => line,
    ends: {
      "4.15": { product: "Ubuntu 18.04 (standard support ended; ESM only)", end: "2023-05" },
      "5.4": { product: "Ubuntu 20.04 (standard support ended; ESM only)", end: "2025-05" },
      "5.15": { product: "Ubuntu 22.04", end: "2027-04" },
      "6.8": { product: "Ubuntu 24.04", end: "2029-04" },
    },
  },
  {
    vendor: "Debian",
    release: /^\d+\.\d+\.\d+-\d+-(amd64|arm64|cloud-amd64|cloud-arm64|rt-amd64|686-pae)$/,
    key: (_m, line) => line,
    ends: {
      "4.19": { product: "Debian 10 buster (LTS ended)", end: "2024-06" },
      "5.10": { product: "Debian 11 bullseye (LTS)", end: "2026-08" },
      "6.1": { product: "Debian 12 bookworm", end: "2028-06" },
      "6.12": { product: "Debian 13 trixie", end: "2030-06" },
    },
  },
  {
    vendor: "SUSE",
    release: /^\d+\.\d+\.\d+-(\d+)[.\d]*-(default|azure|rt)$/,
    key: (_m, line) => line,
    ends: {
      "4.12": { product: "SLES 12 SP5 (general support ended; LTSS)", end: "2024-10" },
      "5.3": { product: "SLES 15 SP2/SP3 (general support ended; LTSS)", end: "2022-12" },
      "5.14": { product: "SLES 15 SP4+", end: "2031-07" },
      "6.4": { product: "SLES 15 SP6+", end: "2031-07" },
    },
  },
];

/**
 * One sentence about the kernel `release` (as `uname -r` prints it) on date `now`, or
 * undefined when the release is not understood.
 */
export function kernelSupportNote(release: string, now: Date = new Date()): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return undefined;
  const line = `${m[1]}.${m[2]}`;
  const month = now.toISOString().slice(0, 7);
  for (const v of VENDORS) {
    const vm = v.release.exec(release);
    if (!vm) continue;
    const support = v.ends[v.key(vm, line)];
    if (!support)
      return `kernel ${release}: a ${v.vendor} kernel; check its support with the vendor`;
    return support.end < month
      ? `kernel ${release}: ${support.product}, vendor support ended ${support.end}; plan an upgrade`
      : `kernel ${release}: ${support.product}, supported by the vendor until ${support.end}`;
  }
  const eol = UPSTREAM_LTS[line];
  if (eol === undefined) {
    return `kernel ${release}: ${line} is not a longterm line; upstream fixes stop soon after the next release`;
  }
  return eol < month
    ? `kernel ${release}: upstream longterm ${line} reached end of life ${eol}; plan an upgrade`
    : `kernel ${release}: upstream longterm ${line}, maintained until ${eol}`;
}
