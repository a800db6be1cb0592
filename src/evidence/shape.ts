import { splitOn, unwrap, words } from "./commands.js";
import { synthesiseHeader } from "./headers.js";

/**
 * Turns what a pasted command printed into what the collector's parser reads:
 * - `cat /proc/sys/vm/swappiness` + `60` → `vm.swappiness = 60` (sysctl); a `/sys` value keeps
 *   its path as the key; `grep . /proc/sys/vm/*` (`path:value`) likewise;
 * - `cat …/nf_conntrack_count` and clocksource files gain their `==> path <==` marker;
 * - kernel log lines of embedded log readers lose their date and `kern.LEVEL` tag
 *   (`Mon Dec  7 01:02:03 2026 kern.warn kernel: [ 12.3] msg` → `kernel: [ 12.3] msg`), which
 *   the dmesg parser reads;
 * - `free -m`: the command line is kept above the table, where the parser finds its unit;
 * - table rows pasted without their header line get the header the command's flags print
 *   (see headers.ts).
 */
export function shapeOutput(id: string, command: string, lines: string[]): string[] {
  const argv = unwrap(words(splitOn(splitOn(command, "&&;").at(-1) ?? command, "|")[0] ?? ""));
  const paths = argv.slice(1).filter((x) => x.startsWith("/") || x.includes("/"));
  switch (id) {
    case "sysctl":
      return argv[0] === "sysctl" ? lines : sysctlFromPaths(paths, lines);
    case "conntrack":
    case "clocksource":
      return paths.length === 1 && !lines.some((l) => l.startsWith("==> "))
        ? [`==> ${paths[0]} <==`, ...lines]
        : lines;
    case "dmesg":
      return lines.map(stripLogReaderTag);
    case "free":
      return argv.length > 1 ? [`$ ${argv.join(" ")}`, ...lines] : lines;
    default:
      return synthesiseHeader(id, argv, lines);
  }
}

/**
 * `/proc/sys/net/core/somaxconn` → `net.core.somaxconn`; a `/sys` file gets a key under `sys.`
 * (`sys.kernel.mm.transparent_hugepage.enabled`), a prefix no sysctl key has.
 */
function keyOf(path: string): string {
  const rel = path.startsWith("/proc/sys/") ? path.slice("/proc/sys/".length) : path.slice(1);
  return rel.replaceAll("/", ".");
}

/** Values printed by `cat` of `/proc/sys` or `/sys` files, as `key = value` lines. */
function sysctlFromPaths(paths: string[], lines: string[]): string[] {
  const filled = lines.filter((l) => l.trim() !== "");
  // `grep . /proc/sys/vm/*` and `grep -r`: one `path:value` a line.
  if (filled.length > 0 && filled.every((l) => /^\/(?:proc\/)?sys\/[^:\s]+:/.test(l))) {
    return filled.map((l) => {
      const at = l.indexOf(":");
      return `${keyOf(l.slice(0, at))} = ${l.slice(at + 1).trim()}`;
    });
  }
  if (paths.length === 0 || /[*?{]/.test(paths.join(""))) return lines;
  // One value line per file, in the order of the files (each file holds one line).
  if (filled.length === paths.length)
    return filled.map((v, i) => `${keyOf(paths[i])} = ${v.trim()}`);
  if (paths.length === 1) return [`${keyOf(paths[0])} = ${filled.map((v) => v.trim()).join("\t")}`];
  return lines;
}

/** Drops an embedded log reader's date and `kern.LEVEL` facility tag before `kernel:`. */
function stripLogReaderTag(line: string): string {
  const at = line.search(
    /\bkern\.(?:emerg|alert|crit|err|warn|warning|notice|info|debug)\s+kernel(?:\[\d+\])?:/,
  );
  return at < 0 ? line : line.slice(at).replace(/^kern\.\w+\s+/, "");
}
