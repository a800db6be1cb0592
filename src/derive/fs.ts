import type { DeletedFile, DeletedOpenFile } from "../parsers/deleted-open-files.js";
import type { DfFacts, DfRow } from "../parsers/df.js";
import { type DeriveModule, FactBag, type ModuleFactSpec, type ParsedSet } from "./types.js";
import { arr, factsOf, n, obj, pct, sum, unique } from "./util.js";

/**
 * Filesystem facts: the fullest real filesystem by blocks (`df`) and by inodes (`df-inodes`),
 * and space held by deleted files that a process still has open (`deleted-open-files`: the
 * blocks are freed only at the last close, so df counts them while no `du` finds them).
 * Pseudo filesystems (tmpfs, overlay, squashfs, ...) are left out by the df parser.
 */

const DF = ["df"] as const;
const DFI = ["df-inodes", "df"] as const;
const DEL = ["deleted-open-files"] as const;

const provides: ModuleFactSpec[] = [
  {
    path: "fs.worst.mount",
    type: "string",
    from: DF,
    doc: "Mount point of the fullest real filesystem (blocks).",
  },
  {
    path: "fs.worst.device",
    type: "string",
    from: DF,
    doc: "Source device of the fullest filesystem.",
  },
  {
    path: "fs.worst.type",
    type: "string",
    from: DF,
    doc: "Type of the fullest filesystem, when df -T was used.",
  },
  {
    path: "fs.worst.use_pct",
    says: "fullest filesystem at {}",
    type: "number",
    unit: "%",
    from: DF,
    doc: "Use% of the fullest filesystem: used / (used + available to non-root), as df prints it.",
  },
  {
    path: "fs.worst.avail_bytes",
    says: "{} left for users other than root on the fullest filesystem (df Avail)",
    type: "number",
    unit: "bytes",
    from: DF,
    doc: "Bytes available to non-root users on the fullest filesystem.",
  },
  {
    path: "fs.worst.size_bytes",
    type: "number",
    unit: "bytes",
    from: DF,
    doc: "Size of the fullest filesystem.",
  },
  {
    path: "fs.worst.reserved_bytes",
    type: "number",
    unit: "bytes",
    from: DF,
    limit: true,
    doc: "ext2/3/4 only: bytes of the fullest filesystem kept from non-root users (mke2fs/tune2fs -m root reserve, plus ext4's own s_resv_clusters): statfs f_bfree − f_bavail, df's Size − Used − Avail.",
  },
  {
    path: "fs.worst.reserved_pct",
    says: "root reserve at {} of the fullest filesystem",
    type: "number",
    unit: "%",
    from: DF,
    limit: true,
    doc: "fs.worst.reserved_bytes as a share of the filesystem's size (mke2fs -m default 5).",
  },
  {
    path: "fs.worst.network",
    type: "boolean",
    from: DF,
    doc: "The fullest filesystem is a network filesystem (NFS, CIFS, ...).",
  },
  {
    path: "fs.full_count",
    type: "number",
    unit: "count",
    from: DF,
    doc: "Real filesystems at 95 % blocks or more.",
  },
  {
    path: "fs.worst_inodes.mount",
    type: "string",
    from: DFI,
    doc: "Mount point of the real filesystem with the highest inode use.",
  },
  {
    path: "fs.worst_inodes.device",
    type: "string",
    from: DFI,
    doc: "Source device of that filesystem.",
  },
  {
    path: "fs.worst_inodes.iuse_pct",
    says: "inodes at {} on the filesystem that uses most",
    type: "number",
    unit: "%",
    from: DFI,
    doc: "IUse% of that filesystem.",
  },
  {
    path: "fs.worst_inodes.ifree",
    type: "number",
    unit: "count",
    from: DFI,
    doc: "Free inodes on that filesystem.",
  },
  {
    path: "fs.worst_inodes.inodes",
    type: "number",
    unit: "count",
    from: DFI,
    doc: "Inodes in total on that filesystem.",
  },
  {
    path: "fs.worst_inodes.use_pct",
    says: "blocks at {} on the filesystem that uses most inodes",
    type: "number",
    unit: "%",
    from: ["df"],
    doc: "Block Use% of the inode-fullest filesystem (from df), to tell inode from block exhaustion.",
  },
  {
    path: "fs.worst_inodes.bytes_per_inode",
    says: "an inode for every {} (fixed at mkfs) on the filesystem that uses most inodes",
    type: "number",
    unit: "bytes",
    from: DFI,
    limit: true,
    doc: "ext2/3/4 only: size / inodes of the filesystem with the highest inode use, the ratio mke2fs fixed (-i bytes-per-inode, -N, -T usage type; 16384 by default); the inode count cannot grow after mkfs.",
  },
  {
    path: "fs.worst_inodes.avg_file_bytes",
    type: "number",
    unit: "bytes",
    from: DFI,
    doc: "Used bytes / used inodes of that filesystem: the average size of what each inode holds.",
  },
  {
    path: "fs.worst_inodes.avg_file_pct_of_ratio",
    says: "files there average {} of the bytes each inode was made for",
    type: "number",
    unit: "%",
    from: DFI,
    doc: "fs.worst_inodes.avg_file_bytes / fs.worst_inodes.bytes_per_inode × 100: under 100, the inodes run out before the blocks.",
  },
  {
    path: "fs.worst_inodes.network",
    type: "boolean",
    from: DFI,
    doc: "The inode-fullest filesystem is a network filesystem.",
  },
  {
    path: "fs.deleted_open.files",
    type: "number",
    unit: "count",
    from: DEL,
    doc: "Deleted regular files still held open (devices, pipes, sockets and memfd left out).",
  },
  {
    path: "fs.deleted_open.processes",
    type: "number",
    unit: "count",
    from: DEL,
    doc: "Processes holding deleted files open.",
  },
  {
    path: "fs.deleted_open.bytes",
    says: "{} held by deleted but open files",
    type: "number",
    unit: "bytes",
    from: DEL,
    doc: "Size of the deleted-but-open files, when the listing shows sizes (lsof +L1).",
  },
  {
    path: "fs.deleted_open.largest_path",
    type: "string",
    from: DEL,
    doc: "Path of the largest deleted-but-open file (or the first, when sizes are unknown).",
  },
  {
    path: "fs.deleted_open.largest_bytes",
    type: "number",
    unit: "bytes",
    from: DEL,
    doc: "Size of that file, when known.",
  },
  {
    path: "fs.deleted_open.holder",
    type: "string",
    from: DEL,
    doc: "Process (command and PID) holding that file open.",
  },
  {
    path: "fs.deleted_open.log_files",
    says: "{} deleted but open log files",
    type: "number",
    unit: "count",
    from: DEL,
    doc: "Deleted-but-open files that look like rotated logs (under /var/log, or *.log*).",
  },
  {
    path: "fs.deleted_open.pct_of_fs",
    says: "deleted but open files at {} of their filesystem",
    type: "number",
    unit: "%",
    from: ["deleted-open-files", "df"],
    doc: "Deleted-but-open bytes as % of the size of the filesystem that holds them.",
  },
];

function dfRow(r: DfRow, inodes = false): string {
  const parts = [r.filesystem];
  if (r.type) parts.push(r.type);
  if (inodes) {
    parts.push(
      `Inodes ${r.inodes ?? "-"}`,
      `IUsed ${r.iused ?? "-"}`,
      `IFree ${r.ifree ?? "-"}`,
      `IUse% ${r.iuse_pct ?? "-"}%`,
    );
  } else {
    parts.push(
      `Size ${r.size_bytes ?? "-"}`,
      `Used ${r.used_bytes ?? "-"}`,
      `Avail ${r.avail_bytes ?? "-"}`,
      `Use% ${r.use_pct ?? "-"}%`,
    );
  }
  parts.push(`on ${r.mount}`);
  return `df: ${parts.join(" ")}`;
}

/**
 * Bytes an ext2/3/4 filesystem keeps from non-root users, or undefined for other types: statfs
 * gives f_bavail = f_bfree − reserved (fs/ext4/super.c ext4_statfs: r_blocks_count, set by
 * mke2fs/tune2fs -m, plus s_resv_clusters), and df prints Used = f_blocks − f_bfree and
 * Avail = f_bavail, so the reserve is Size − Used − Avail.
 */
function reservedBytes(r: DfRow): number | undefined {
  if (!r.type || !/^ext[234]$/.test(r.type)) return undefined;
  const size = n(r.size_bytes);
  const used = n(r.used_bytes);
  const avail = n(r.avail_bytes);
  if (size === undefined || used === undefined || avail === undefined) return undefined;
  return Math.max(0, size - used - avail);
}

/**
 * The inode ratio an ext2/3/4 filesystem was made with (size / inodes, mke2fs -i) against the
 * average size of its files (used / used inodes), in bytes; other types allocate inodes as
 * they need them (XFS up to imaxpct, btrfs without a limit) and get no fact.
 */
function inodeRatio(bag: FactBag, inodes: DfRow, blocks: DfRow, source: string): void {
  const type = inodes.type ?? blocks.type;
  if (!type || !/^ext[234]$/.test(type)) return;
  const count = n(inodes.inodes);
  const used = n(inodes.iused);
  const size = n(blocks.size_bytes);
  const usedBytes = n(blocks.used_bytes);
  if (!count || !used || size === undefined || usedBytes === undefined) return;
  const line = `${dfRow(inodes, true)}; ${dfRow(blocks)}`;
  const perInode = Math.round(size / count);
  const avg = Math.round(usedBytes / used);
  bag.set("fs.worst_inodes.bytes_per_inode", perInode, source, line);
  bag.set("fs.worst_inodes.avg_file_bytes", avg, source, line);
  bag.set("fs.worst_inodes.avg_file_pct_of_ratio", pct(avg, perInode), source, line);
}

function realRows(df: DfFacts | undefined): DfRow[] {
  return arr<DfRow>(df?.rows).filter((r) => obj(r) && !r.pseudo);
}

function worstBy(rows: DfRow[], key: "use_pct" | "iuse_pct"): DfRow | undefined {
  let best: DfRow | undefined;
  for (const r of rows) {
    const v = n(r[key]);
    if (v === undefined) continue;
    if (!best || v > (n(best[key]) ?? -1)) best = r;
  }
  return best;
}

/** Longest mount prefix of `path` among the df rows. */
function mountOf(path: string, rows: DfRow[]): DfRow | undefined {
  let best: DfRow | undefined;
  for (const r of rows) {
    const m = r.mount;
    if (path === m || path.startsWith(m.endsWith("/") ? m : `${m}/`)) {
      if (!best || m.length > best.mount.length) best = r;
    }
  }
  return best;
}

function derive(parsed: ParsedSet): FactBag {
  const bag = new FactBag();
  const df = factsOf(parsed, "df");
  const dfRows = realRows(df);
  const worst = worstBy(dfRows, "use_pct");
  if (worst) {
    const line = dfRow(worst);
    bag.set("fs.worst.mount", worst.mount, "df", line);
    bag.set("fs.worst.device", worst.filesystem, "df", line);
    bag.set("fs.worst.type", worst.type, "df", line);
    bag.set("fs.worst.use_pct", n(worst.use_pct), "df", line);
    bag.set("fs.worst.avail_bytes", n(worst.avail_bytes), "df", line);
    bag.set("fs.worst.size_bytes", n(worst.size_bytes), "df", line);
    bag.set("fs.worst.network", worst.network === true, "df", line);
    const reserved = reservedBytes(worst);
    if (reserved !== undefined) {
      bag.set("fs.worst.reserved_bytes", reserved, "df", line);
      bag.set("fs.worst.reserved_pct", pct(reserved, n(worst.size_bytes)), "df", line);
    }
    bag.set("fs.full_count", dfRows.filter((r) => (n(r.use_pct) ?? 0) >= 95).length, "df");
  }
  const inodeSource = realRows(factsOf(parsed, "df-inodes")).some(
    (r) => n(r.iuse_pct) !== undefined,
  )
    ? "df-inodes"
    : "df";
  const worstI = worstBy(realRows(factsOf(parsed, inodeSource)), "iuse_pct");
  if (worstI) {
    const line = dfRow(worstI, true);
    bag.set("fs.worst_inodes.mount", worstI.mount, inodeSource, line);
    bag.set("fs.worst_inodes.device", worstI.filesystem, inodeSource, line);
    bag.set("fs.worst_inodes.iuse_pct", n(worstI.iuse_pct), inodeSource, line);
    bag.set("fs.worst_inodes.ifree", n(worstI.ifree), inodeSource, line);
    bag.set("fs.worst_inodes.inodes", n(worstI.inodes), inodeSource, line);
    bag.set("fs.worst_inodes.network", worstI.network === true, inodeSource, line);
    const blocks = dfRows.find((r) => r.mount === worstI.mount);
    if (blocks) {
      bag.set("fs.worst_inodes.use_pct", n(blocks.use_pct), "df", dfRow(blocks));
      inodeRatio(bag, worstI, blocks, inodeSource);
    }
  }
  const del = factsOf(parsed, "deleted-open-files");
  if (del) {
    const src = "deleted-open-files";
    // Files of real filesystems only; the parser lists them largest first.
    const files = arr<DeletedFile>(del.files).filter((f) => !f.pseudo);
    const rows = arr<DeletedOpenFile>(del.rows).filter((r) => !r.pseudo);
    // Largest first; with no sizes, a log file is the likelier space holder.
    const isLog = (f: DeletedFile) => /^\/var\/log\/|\.log([.-]|$)/.test(f.path);
    const largest = files.some((f) => n(f.size_bytes) !== undefined)
      ? files[0]
      : (files.find(isLog) ?? files[0]);
    let line: string | undefined;
    if (largest) {
      const holder = rows.find((r) => r.path === largest.path);
      const pid = holder?.pid ?? null;
      const who = holder?.command
        ? `${holder.command}${pid !== null ? ` (pid ${pid})` : ""}`
        : pid !== null
          ? `pid ${pid}`
          : undefined;
      line = `${who ?? "a process"} holds ${largest.path} (deleted)${largest.size_bytes !== undefined ? `, ${largest.size_bytes} bytes` : ", size unknown"}${largest.holders > 1 ? ` on ${largest.holders} descriptors` : ""}`;
      bag.set("fs.deleted_open.largest_path", largest.path, src, line);
      bag.set("fs.deleted_open.holder", who, src, line);
      bag.set("fs.deleted_open.largest_bytes", n(largest.size_bytes), src, line);
      if (files.some((f) => n(f.size_bytes) !== undefined)) {
        const total = n(del.total_bytes) ?? sum(files.map((f) => n(f.size_bytes)));
        bag.set("fs.deleted_open.bytes", total, src, line);
        const row = mountOf(largest.path, dfRows);
        if (row && total !== undefined) {
          bag.set("fs.deleted_open.pct_of_fs", pct(total, n(row.size_bytes)), "df", dfRow(row));
        }
      }
    }
    bag.set("fs.deleted_open.files", files.length, src, line);
    bag.set(
      "fs.deleted_open.processes",
      unique(rows.map((r) => r.pid).filter((p) => p !== null)).length,
      src,
      line,
    );
    bag.set("fs.deleted_open.log_files", files.filter(isLog).length, src, line);
  }
  return bag;
}

/** The `fs` derive module (see the header comment of this file). */
export const fsModule: DeriveModule = {
  id: "fs",
  needs: ["df", "df-inodes", "deleted-open-files"],
  provides,
  derive,
};
