import type { OpenFilesProcess } from "../parsers/open-files.js";
import type { ProcFdsRow } from "../parsers/proc-fds.js";
import {
  type DeriveContext,
  type DeriveModule,
  FactBag,
  type ModuleFactSpec,
  type ParsedSet,
} from "./types.js";
import { arr, factsOf, n, pct } from "./util.js";

/**
 * File descriptor facts: the process nearest its open-files limit (`proc-fds`: open fds and
 * `Max open files` per process; `proc-limits`: the limits alone) and the system's file
 * handles against fs.file-max (`file-nr`, `sysctl`).
 *
 * Which limit caps a process (getrlimit(2), Documentation/admin-guide/sysctl/fs.rst):
 * open(2) fails with EMFILE at the soft RLIMIT_NOFILE; a process may raise its soft limit up
 * to its hard limit; root may raise the hard limit up to fs.nr_open (default 1048576);
 * fs.file-max caps all handles of the system together (ENFILE). So `fd.capped_by` is `soft`
 * when soft < hard, `hard` when soft = hard < fs.nr_open, `fs.nr_open` when the hard limit
 * is already at fs.nr_open; `fs.file-max` when the system is the nearer limit.
 */

const PROC = ["proc-fds", "proc-limits"] as const;

const provides: ModuleFactSpec[] = [
  {
    path: "fd.proc.pid",
    type: "number",
    from: PROC,
    doc: "The process nearest its open-files limit (or with the lowest soft limit, when open counts are unknown).",
  },
  { path: "fd.proc.command", type: "string", from: ["proc-fds"], doc: "Its command name." },
  {
    path: "fd.proc.open",
    type: "number",
    unit: "fds",
    from: ["proc-fds", "open-files"],
    doc: "Its open file descriptors (proc-fds, or lsof for the process whose limits were read).",
  },
  {
    path: "fd.proc.soft_limit",
    says: "a soft limit of {} open files (RLIMIT_NOFILE)",
    type: "number",
    unit: "fds",
    from: PROC,
    doc: "Its soft RLIMIT_NOFILE (EMFILE above it).",
  },
  {
    path: "fd.proc.hard_limit",
    type: "number",
    unit: "fds",
    from: PROC,
    doc: "Its hard RLIMIT_NOFILE (the soft limit may be raised up to it).",
  },
  {
    path: "fd.proc.use_pct",
    says: "open files at {} of the limit",
    type: "number",
    unit: "%",
    from: ["proc-fds", "open-files"],
    doc: "Open fds / soft limit × 100.",
  },
  {
    path: "fd.proc.headroom",
    type: "number",
    unit: "fds",
    from: ["proc-fds"],
    doc: "Soft limit − open fds.",
  },
  {
    path: "fd.capped_by",
    type: "string",
    from: ["proc-fds", "proc-limits", "sysctl", "file-nr"],
    doc: "The limit to raise first: soft, hard, fs.nr_open or fs.file-max.",
  },
  {
    path: "fd.capped_by_soft",
    type: "boolean",
    from: PROC,
    doc: "True when the soft limit is below the hard one: raise the soft limit (no privilege needed).",
  },
  {
    path: "fd.capped_by_hard",
    type: "boolean",
    from: PROC,
    doc: "True when soft = hard < fs.nr_open: raise the hard limit (root: LimitNOFILE=, limits.conf).",
  },
  {
    path: "fd.capped_by_nr_open",
    type: "boolean",
    from: ["proc-limits", "proc-fds", "sysctl"],
    doc: "True when the hard limit is already at fs.nr_open: raise fs.nr_open first.",
  },
  {
    path: "fd.capped_by_file_max",
    type: "boolean",
    from: ["file-nr"],
    doc: "True when the system is near fs.file-max: raise fs.file-max.",
  },
  {
    path: "fd.nr_open",
    type: "number",
    unit: "fds",
    from: ["sysctl", "file-nr"],
    doc: "fs.nr_open: ceiling of any hard RLIMIT_NOFILE (default 1048576).",
  },
  {
    path: "fd.system.used",
    type: "number",
    unit: "handles",
    from: ["file-nr"],
    doc: "File handles in use system-wide.",
  },
  {
    path: "fd.system.max",
    type: "number",
    unit: "handles",
    from: ["file-nr", "sysctl"],
    doc: "fs.file-max.",
  },
  {
    path: "fd.system.use_pct",
    says: "file handles at {} of fs.file-max",
    type: "number",
    unit: "%",
    from: ["file-nr"],
    doc: "Handles in use / fs.file-max × 100.",
  },
];

/** lsof's count of open descriptors of `pid`, when the open-files collector listed it. */
function openFilesOf(parsed: ParsedSet, pid: number | null): OpenFilesProcess | undefined {
  if (pid === null) return undefined;
  return arr<OpenFilesProcess>(factsOf(parsed, "open-files")?.processes).find((p) => p.pid === pid);
}

/** Default fs.nr_open (include/linux/fs.h: NR_OPEN = 1024 * 1024). */
const NR_OPEN_DEFAULT = 1048576;

/**
 * Says how much of the per-process fd check was done. Without root, other users' fd
 * directories cannot be read, and sudo does not help: proc-fds is a script, never run under
 * sudo. As root, a process that ended during the walk, or a security module, is the cause.
 */
function unreadableNote(unreadable: number, processes: number | undefined, root?: boolean): string {
  const head = `proc-fds: ${unreadable} of ${processes ?? "?"} processes could not be read`;
  if (root) {
    return `${head} even as root (they ended during the walk, or a security module such as Yama or SELinux hides their fd directories); the per-process fd check covers only the rest`;
  }
  return `${head}: they belong to other users; the per-process fd check covers only the rest (connect as root for all of them: proc-fds is a script, which never runs under sudo)`;
}

function derive(parsed: ParsedSet, ctx: DeriveContext): FactBag {
  const bag = new FactBag();
  const fds = factsOf(parsed, "proc-fds");
  const lim = factsOf(parsed, "proc-limits");
  const fnr = factsOf(parsed, "file-nr");
  const sc = factsOf(parsed, "sysctl");

  const unreadable = n(fds?.unreadable) ?? 0;
  if (unreadable > 0) bag.note(unreadableNote(unreadable, n(fds?.processes), ctx.root));
  const nrOpen = n(sc?.fs_nr_open) ?? n(fnr?.nr_open);
  if (nrOpen !== undefined)
    bag.set(
      "fd.nr_open",
      nrOpen,
      sc?.fs_nr_open !== undefined ? "sysctl" : "file-nr",
      `fs.nr_open = ${nrOpen}`,
    );
  const fileMax = n(fnr?.max) ?? n(sc?.fs_file_max);
  const fileMaxSource = n(fnr?.max) !== undefined ? "file-nr" : "sysctl";
  if (fileMax !== undefined)
    bag.set("fd.system.max", fileMax, fileMaxSource, `fs.file-max = ${fileMax}`);
  if (fnr && n(fnr.used ?? fnr.allocated) !== undefined) {
    const used = n(fnr.used) ?? n(fnr.allocated);
    const line = `/proc/sys/fs/file-nr: ${fnr.allocated ?? "?"} ${fnr.unused ?? 0} ${fnr.max ?? "?"}`;
    bag.set("fd.system.used", used, "file-nr", line);
    bag.set("fd.system.use_pct", n(fnr.used_pct) ?? pct(used, fileMax), "file-nr", line);
  }

  let pid: number | undefined;
  let soft: number | undefined;
  let hard: number | undefined;
  let open: number | undefined;
  let source = "";
  let line = "";
  const rows = arr<ProcFdsRow>(fds?.rows).filter((r) => r.nfds !== null);
  const worst: ProcFdsRow | undefined =
    fds?.worst ?? [...rows].sort((a, b) => (b.soft_used_pct ?? -1) - (a.soft_used_pct ?? -1))[0];
  if (worst) {
    pid = n(worst.pid);
    soft = n(worst.soft_limit);
    hard = n(worst.hard_limit);
    open = n(worst.nfds);
    source = "proc-fds";
    line = `pid ${worst.pid} ${worst.comm}: ${worst.nfds} open fds, soft limit ${worst.soft_limit ?? "unlimited"}, hard ${worst.hard_limit ?? "unlimited"}`;
    bag.set("fd.proc.command", worst.comm || undefined, source, line);
    bag.set("fd.proc.open", open, source, line);
    bag.set("fd.proc.use_pct", n(worst.soft_used_pct) ?? pct(open, soft), source, line);
    if (soft !== undefined && open !== undefined)
      bag.set("fd.proc.headroom", soft - open, source, line);
  } else if (lim?.lowest_nofile && openFilesOf(parsed, lim.lowest_nofile.pid) !== undefined) {
    // lsof counts of the process whose limits were read.
    const low = lim.lowest_nofile;
    const of = openFilesOf(parsed, low.pid) as OpenFilesProcess;
    pid = n(low.pid);
    soft = n(low.soft);
    hard = n(low.hard);
    open = of.nfds;
    source = "proc-limits";
    line = `pid ${low.pid} ${of.command}: ${of.nfds} open fds (lsof), soft limit ${low.soft ?? "unlimited"}, hard ${low.hard ?? "unlimited"}`;
    bag.set("fd.proc.command", of.command, "open-files", line);
    bag.set("fd.proc.open", open, "open-files", line);
    bag.set("fd.proc.use_pct", pct(open, soft), "open-files", line);
    if (soft !== undefined) bag.set("fd.proc.headroom", soft - open, "open-files", line);
  } else if (lim?.lowest_nofile) {
    const low = lim.lowest_nofile;
    pid = n(low.pid);
    soft = n(low.soft);
    hard = n(low.hard);
    source = "proc-limits";
    line = `${low.pid !== null ? `/proc/${low.pid}/limits: ` : ""}Max open files  ${low.soft ?? "unlimited"}  ${low.hard ?? "unlimited"}  files`;
  }
  if (source) {
    bag.set("fd.proc.pid", pid, source, line);
    bag.set("fd.proc.soft_limit", soft, source, line);
    bag.set("fd.proc.hard_limit", hard, source, line);
  }

  // Which limit to raise first.
  const sysPct = n(fnr?.used_pct);
  let capped: string | undefined;
  if (sysPct !== undefined && sysPct >= 90) capped = "fs.file-max";
  else if (soft !== undefined) {
    if (hard === undefined || soft < hard) capped = "soft";
    else if (hard < (nrOpen ?? NR_OPEN_DEFAULT)) capped = "hard";
    else capped = "fs.nr_open";
  }
  if (capped) {
    const src = source || "file-nr";
    bag.set("fd.capped_by", capped, src, line || undefined);
    bag.set("fd.capped_by_soft", capped === "soft", src, line || undefined);
    bag.set("fd.capped_by_hard", capped === "hard", src, line || undefined);
    bag.set("fd.capped_by_nr_open", capped === "fs.nr_open", src, line || undefined);
    bag.set("fd.capped_by_file_max", capped === "fs.file-max", src, line || undefined);
  }
  return bag;
}

/** The `fd` derive module (see the header comment of this file). */
export const fdModule: DeriveModule = {
  id: "fd",
  needs: ["proc-fds", "proc-limits", "open-files", "sysctl", "file-nr"],
  provides,
  derive,
};
