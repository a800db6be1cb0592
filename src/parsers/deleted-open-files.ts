import { ProblemLog } from "./lines.js";
import { type LsofRow, LsofTable } from "./open-files.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** One open descriptor (or mapping) of a file that was deleted. */
export interface DeletedOpenFile {
  pid: number | null;
  /** Command name (lsof only; truncated to 9 characters by lsof). */
  command?: string;
  user?: string;
  /** FD as lsof prints it (`1w`, `txt`, `DEL`), or the fd number from /proc/PID/fd/N. */
  fd: string;
  /** File size in bytes (lsof SIZE/OFF when it is a size); absent when unknown. */
  size_bytes?: number;
  /** `major,minor` of the filesystem (lsof DEVICE). */
  device?: string;
  /** Inode number (lsof NODE). */
  node?: string;
  /** The deleted file's former path, without ` (deleted)`. */
  path: string;
  /**
   * Not disk space of a real filesystem: /dev/* (ptys, /dev/shm), memfd:, SYSV shared
   * memory, anon_inode: entries.
   */
  pseudo: boolean;
}

/** A deleted file, counted once however many descriptors and processes hold it. */
export interface DeletedFile {
  path: string;
  device?: string;
  node?: string;
  size_bytes?: number;
  pseudo: boolean;
  /** Descriptors holding it. */
  holders: number;
  pids: number[];
}

/**
 * Facts of `deleted-open-files`: files that were unlinked but are still open, so their
 * blocks stay allocated (the classic "df says full, du does not" after log rotation).
 *
 * From `lsof +L1` (the collector runs `lsof -b -n -w +L1`; any lsof table is read, e.g.
 * `lsof | grep deleted` with or without its header):
 * ```
 * COMMAND   PID USER   FD   TYPE DEVICE   SIZE/OFF NLINK    NODE NAME
 * nginx   11228 root    1w   REG  253,1 4034970120     0 1310742 /var/log/nginx/error.log-20161102 (deleted)
 * ```
 * Yields: `rows[0].command = "nginx"`, `rows[0].size_bytes = 4034970120`.
 * Yields: `files[0].path = "/var/log/nginx/error.log-20161102"`.
 * From `find /proc/*\/fd -ls | grep deleted` (no file sizes: the size shown is the link's):
 * ```
 *  99310458  0 l-wx------  1 root root  64 Nov  2 08:00 /proc/11228/fd/1 -> /var/log/nginx/error.log-20161102\ (deleted)
 * ```
 * Yields: `rows[0].pid = 11228`, `files[0].holders = 1`, `unknown_size_files = 1`.
 * Rows of a full lsof table that are not deleted (NLINK ≥ 1, no `(deleted)`, FD not `DEL`)
 * are skipped. `ls -l /proc/PID/fd` lines (`l-wx------ 1 root root 64 Nov 2 08:00 1 -> /var/log/x (deleted)`)
 * are read too, with the pid from a preceding `/proc/PID/fd:` line when there is one.
 * Backslash escapes of find (`\ `, `\\`, `\NNN`) are undone. Prompts and other lines are
 * problems.
 *
 * Source: lsof(8) (`+L1`: link count below 1), find(1) `-ls`, proc(5) `/proc/PID/fd`.
 */
export interface DeletedOpenFilesFacts {
  rows: DeletedOpenFile[];
  /** Unique files (by device+inode, else by path), largest first. */
  files: DeletedFile[];
  /** Bytes held by deleted files of real filesystems (sizes known only; each file once). */
  total_bytes: number;
  /** Files (not pseudo) whose size is unknown, so total_bytes is a lower bound. */
  unknown_size_files: number;
  /** Bytes held per directory of the deleted files (not pseudo), largest first. */
  by_dir: { dir: string; files: number; bytes: number }[];
}

const FIND_LS =
  /^\s*\d+\s+\d+\s+l\S{9}\s+\d+\s+\S+\s+\S+\s+\d+\s+\S+\s+\d+\s+\S+\s+\/proc\/(\d+)\/(?:task\/\d+\/)?fd\/(\d+) -> (.*)$/;
const LS_L = /^\s*l\S{9}\.?\s+\d+\s+\S+\s+\S+\s+\d+\s+\S+\s+\d+\s+\S+\s+(\d+) -> (.*)$/;
const PROC_DIR = /^\/proc\/(\d+)\/fd:\s*$/;

function unescapeFind(s: string): string {
  return s.replace(/\\(\d{3}|.)/g, (_m, c: string) =>
    /^\d{3}$/.test(c) ? String.fromCharCode(Number.parseInt(c, 8)) : c,
  );
}

function stripDeleted(name: string): { path: string; deleted: boolean } {
  const m = /^(.*?)(?:\\? \(deleted\))$/.exec(name);
  return m ? { path: m[1], deleted: true } : { path: name, deleted: false };
}

function isPseudo(path: string): boolean {
  return /^(\/dev\/|\/memfd:|memfd:|\/SYSV|anon_inode:|\/\[aio\]|\/drm mm object)/.test(path);
}

/**
 * Parses deleted-but-open file listings (see {@link DeletedOpenFilesFacts}). Empty output
 * (what `lsof +L1` prints when nothing qualifies) gives empty facts. Throws
 * UnrecognisedOutputError when there were lines but no lsof header and no deleted-file line.
 */
export function parseDeletedOpenFiles(lines: Iterable<string>): ParseResult<DeletedOpenFilesFacts> {
  const problems = new ProblemLog();
  const table = new LsofTable();
  const rows: DeletedOpenFile[] = [];
  let found = false;
  let lsPid: number | null = null;
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    if (table.header(line)) {
      found = true;
      continue;
    }
    let m = FIND_LS.exec(line);
    if (m) {
      const { path } = stripDeleted(m[3]);
      const p = unescapeFind(path);
      rows.push({ pid: Number(m[1]), fd: m[2], path: p, pseudo: isPseudo(p) });
      found = true;
      continue;
    }
    m = PROC_DIR.exec(line);
    if (m) {
      lsPid = Number(m[1]);
      continue;
    }
    m = LS_L.exec(line);
    if (m) {
      const p = unescapeFind(stripDeleted(m[2]).path);
      rows.push({ pid: lsPid, fd: m[1], path: p, pseudo: isPseudo(p) });
      found = true;
      continue;
    }
    if (/^\s*lsof: |^\s+Output information/.test(line)) {
      problems.add(n, line, "lsof warning");
      continue;
    }
    const r = table.seenHeader ? table.row(line) : headerlessLsof(line);
    if (r) {
      const { path, deleted } = stripDeleted(r.name);
      found = true;
      // A full `lsof` table holds live files too: keep the deleted ones (NLINK 0, a
      // `(deleted)` name, or a `DEL` mapping).
      if (!deleted && r.nlink !== 0 && r.fd !== "DEL") continue;
      if (r.tid !== undefined) continue; // a thread's row repeats its process's descriptors
      const row: DeletedOpenFile = {
        pid: r.pid,
        command: r.command,
        fd: r.fd,
        path,
        pseudo: isPseudo(path),
      };
      if (r.user !== undefined) row.user = r.user;
      if (r.size_off !== undefined && /^\d+$/.test(r.size_off)) row.size_bytes = Number(r.size_off);
      if (r.device !== undefined) row.device = r.device;
      if (r.node !== undefined) row.node = r.node;
      rows.push(reorder(row));
      continue;
    }
    problems.add(n, line, "not an lsof row or a deleted /proc/PID/fd link");
  }
  // `lsof +L1` prints nothing at all (not even its header) when no file qualifies: an empty
  // output is the normal "nothing deleted is held open".
  if (!found && problems.problems.length > 0) {
    throw new UnrecognisedOutputError(
      "deleted-open-files",
      "no lsof table or deleted /proc/PID/fd line was found",
    );
  }
  return { facts: summarise(rows), problems: problems.list() };
}

function reorder(r: DeletedOpenFile): DeletedOpenFile {
  const o: Record<string, unknown> = {};
  for (const k of [
    "pid",
    "command",
    "user",
    "fd",
    "size_bytes",
    "device",
    "node",
    "path",
    "pseudo",
  ] as const) {
    if (r[k] !== undefined) o[k] = r[k];
  }
  return o as unknown as DeletedOpenFile;
}

/**
 * A pasted `lsof | grep deleted` line without its header:
 * `COMMAND PID [TID [TASKCMD]] USER FD TYPE DEVICE SIZE/OFF [NLINK] NODE NAME (deleted)`.
 */
function headerlessLsof(line: string): LsofRow | undefined {
  if (!/\(deleted\)\s*$/.test(line)) return undefined;
  const words = [...line.matchAll(/\S+/g)];
  if (words.length < 8 || !/^\d+$/.test(words[1][0])) return undefined;
  // The name starts at the first word after the FD/TYPE columns that begins with / (or memfd:).
  let nameAt = -1;
  for (let i = 5; i < words.length; i++) {
    if (/^(\/|memfd:|anon_inode:)/.test(words[i][0])) {
      nameAt = i;
      break;
    }
  }
  if (nameAt < 0) return undefined;
  // Before the name: … FD TYPE DEVICE SIZE/OFF [NLINK] NODE.
  const w = words.slice(0, nameAt).map((x) => x[0]);
  const fdAt = w.findIndex(
    (t, i) => i >= 3 && /^(\d+[rwu ]?[A-Za-z]?|cwd|rtd|txt|mem|DEL|mmap|err|ltx)$/.test(t),
  );
  if (fdAt < 0) return undefined;
  // COMMAND PID TID TASKCMD USER FD: a thread's row, repeating its process's descriptors.
  const tid = fdAt >= 4 && /^\d+$/.test(w[2]) ? Number(w[2]) : undefined;
  const rest = w.slice(fdAt + 1); // TYPE DEVICE SIZE/OFF [NLINK] NODE (DEVICE or SIZE may be empty)
  const size = rest.length >= 4 ? rest[rest.length - (rest.length === 5 ? 3 : 2)] : undefined;
  const row: LsofRow = {
    command: w[0],
    pid: Number(w[1]),
    user: w[fdAt - 1],
    fd: w[fdAt],
    name: "",
  };
  if (tid !== undefined) row.tid = tid;
  if (rest.length >= 4) row.device = rest[1];
  if (size !== undefined) row.size_off = size;
  row.node = rest[rest.length - 1];
  row.name = line.slice(words[nameAt].index).trimEnd();
  return row;
}

function summarise(rows: DeletedOpenFile[]): DeletedOpenFilesFacts {
  const files = new Map<string, DeletedFile>();
  for (const r of rows) {
    const key = r.device && r.node ? `${r.device}:${r.node}` : `path:${r.path}`;
    let f = files.get(key);
    if (!f) {
      f = { path: r.path, pseudo: r.pseudo, holders: 0, pids: [] };
      if (r.device) f.device = r.device;
      if (r.node) f.node = r.node;
      files.set(key, f);
    }
    if (r.size_bytes !== undefined) f.size_bytes = Math.max(f.size_bytes ?? 0, r.size_bytes);
    f.holders++;
    if (r.pid !== null && !f.pids.includes(r.pid)) f.pids.push(r.pid);
  }
  const list = [...files.values()]
    .map(order)
    .sort((a, b) => (b.size_bytes ?? -1) - (a.size_bytes ?? -1));
  let total = 0;
  let unknown = 0;
  const dirs = new Map<string, { dir: string; files: number; bytes: number }>();
  for (const f of list) {
    if (f.pseudo) continue;
    if (f.size_bytes === undefined) unknown++;
    else total += f.size_bytes;
    const dir = f.path.includes("/") ? f.path.slice(0, f.path.lastIndexOf("/")) || "/" : "";
    const d = dirs.get(dir) ?? { dir, files: 0, bytes: 0 };
    d.files++;
    d.bytes += f.size_bytes ?? 0;
    dirs.set(dir, d);
  }
  return {
    rows,
    files: list,
    total_bytes: total,
    unknown_size_files: unknown,
    by_dir: [...dirs.values()].sort((a, b) => b.bytes - a.bytes || b.files - a.files),
  };
}

function order(f: DeletedFile): DeletedFile {
  const out: Record<string, unknown> = { path: f.path };
  if (f.device !== undefined) out.device = f.device;
  if (f.node !== undefined) out.node = f.node;
  if (f.size_bytes !== undefined) out.size_bytes = f.size_bytes;
  out.pseudo = f.pseudo;
  out.holders = f.holders;
  out.pids = f.pids;
  return out as unknown as DeletedFile;
}
