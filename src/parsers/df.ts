import { num, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One row of `df` (one mounted filesystem). Block fields are in bytes, whatever the block
 * size df printed in (`1K-blocks`, `1024-blocks`, `512-blocks`, `1M-blocks`, `-h`, `-H`);
 * inode fields are counts. A field df printed as `-` is `null`; a field whose column was not
 * printed is absent.
 */
export interface DfRow {
  /** Source device or name (`/dev/sda1`, `tmpfs`, `10.0.0.5:/export`). */
  filesystem: string;
  /** Filesystem type, when `-T` (or `--output=fstype`) was used. */
  type?: string;
  size_bytes?: number | null;
  used_bytes?: number | null;
  avail_bytes?: number | null;
  /** `Use%` / `Capacity` as df printed it (used / (used + avail), rounded up); null for `-`. */
  use_pct?: number | null;
  /** `Inodes` (GNU) or `iused + ifree` (BSD, which prints no total). */
  inodes?: number | null;
  iused?: number | null;
  ifree?: number | null;
  /** `IUse%` / `%iused`; null for `-` (filesystems without an inode table: vfat, btrfs). */
  iuse_pct?: number | null;
  /** `File` column of `df --output` (the argument df was given, `-` for none). */
  file?: string;
  mount: string;
  /**
   * A filesystem that cannot fill up, or is full by design, so "full" means nothing for it:
   * tmpfs, devtmpfs, overlay, squashfs/erofs/iso9660 images (snaps), proc, sysfs, cgroup,
   * devpts, … From the type when shown, else from the source name (`tmpfs`, `udev`, `shm`,
   * `overlay`, `/dev/loopN` mounted under `/snap/`).
   */
  pseudo: boolean;
  /** A network filesystem (NFS, CIFS, …): from the type, or a `host:/path` / `//host/share` source. */
  network: boolean;
  /** Values came from `-h`/`-H`/`-ih` output, rounded to 2–3 significant digits. */
  approximate?: true;
}

/**
 * Facts of `df`, for the collectors `df` (`df -lPkT`) and `df-inodes` (`df -lPiT`), and for
 * any `df` a person pastes.
 *
 * ```
 * Filesystem              Type     1024-blocks     Used Available Capacity Mounted on
 * /dev/vda                ext4       264212084 23471292  82919620      23% /
 * tmpfs                   tmpfs       24684092     1052  24683040       1% /dev/shm
 * ```
 * Yields: `rows[0].filesystem = "/dev/vda"`, `rows[0].use_pct = 23`, `rows[0].mount = "/"`.
 * Yields: `rows[1].type = "tmpfs"`.
 *
 * Variants read (columns are mapped by header name, never by position):
 * - block columns `1K-blocks`, `1024-blocks` (`-P`), `512-blocks` (POSIXLY_CORRECT, BSD),
 *   `1M-blocks` (`-BM`, values with an `M` suffix), `Size` (`-h`: K/M/G/T/P/E, powers of
 *   1024; `-H`/`--si`: powers of 1000, told apart by the lowercase `k` it prints; macOS `Gi`);
 * - `Use%` or `Capacity`; `-T` (`Type`); `-i` (`Inodes IUsed IFree IUse%`, also `-ih` with
 *   suffixes); BSD/macOS `iused ifree %iused`; `df --output` (both sets and `File`);
 * - the non-`-P` layout, where a long source name sits alone on its line and the numbers
 *   follow on the next one (a blank line between them is tolerated);
 * - mount points with spaces; `-` for an inode-less filesystem's `IUse%` or a 0-size `Use%`;
 * - several tables in one paste (each header resets the columns).
 * `df:` error lines (stale NFS handle, permission denied), prompts and other lines are
 * recorded as problems.
 *
 * Source: coreutils df(1) and its `df.c` (header names, POSIX format), human_readable(3)
 * rules of gnulib (`-h` 1024, `--si` 1000 with a lowercase `k`).
 */
export interface DfFacts {
  rows: DfRow[];
  /** The real (non-pseudo) filesystem with the highest `use_pct`. */
  worst?: DfRow;
  /** The real (non-pseudo) filesystem with the highest `iuse_pct`. */
  worst_inodes?: DfRow;
}

type Col =
  | "filesystem"
  | "type"
  | "size"
  | "used"
  | "avail"
  | "use_pct"
  | "inodes"
  | "iused"
  | "ifree"
  | "iuse_pct"
  | "file"
  | "mount";

const TEXT_COLS = new Set<Col>(["filesystem", "type", "file", "mount"]);

const PSEUDO_TYPES = new Set([
  "tmpfs",
  "devtmpfs",
  "overlay",
  "overlayfs",
  "aufs",
  "squashfs",
  "erofs",
  "iso9660",
  "proc",
  "sysfs",
  "cgroup",
  "cgroup2",
  "devpts",
  "securityfs",
  "pstore",
  "bpf",
  "tracefs",
  "debugfs",
  "configfs",
  "fusectl",
  "hugetlbfs",
  "mqueue",
  "autofs",
  "binfmt_misc",
  "rpc_pipefs",
  "nsfs",
  "ramfs",
  "rootfs",
  "efivarfs",
  "selinuxfs",
  "fuse.lxcfs",
  "fuse.gvfsd-fuse",
  "fuse.portal",
  "devfs",
  "fdescfs",
  "nullfs",
]);

/** Source names that are pseudo filesystems when df shows no type column. */
const PSEUDO_SOURCES = new Set([
  ...PSEUDO_TYPES,
  "udev",
  "shm",
  "none",
  "map",
  "lxcfs",
  "gvfsd-fuse",
]);

const NETWORK_TYPES =
  /^(nfs\d?|cifs|smb\d?|smbfs|afs|ceph|glusterfs|fuse\.glusterfs|fuse\.sshfs|lustre|9p|gpfs|beegfs|fuse\.s3fs)$/;

/** Header name → column; the block-size header returns its unit in bytes. */
function columnOf(name: string): { col: Col; unit?: number } | undefined {
  const n = name.toLowerCase();
  switch (n) {
    case "filesystem":
      return { col: "filesystem" };
    case "type":
      return { col: "type" };
    case "size":
    case "blocks":
      return { col: "size", unit: 1 };
    case "used":
      return { col: "used" };
    case "avail":
    case "available":
      return { col: "avail" };
    case "use%":
    case "capacity":
      return { col: "use_pct" };
    case "inodes":
      return { col: "inodes" };
    case "iused":
      return { col: "iused" };
    case "ifree":
      return { col: "ifree" };
    case "iuse%":
    case "%iused":
      return { col: "iuse_pct" };
    case "file":
      return { col: "file" };
    case "mounted on":
      return { col: "mount" };
  }
  const m = /^(\d+)([kmgtpe]?)(i?b?)-blocks$/.exec(n);
  if (m) {
    const power = "kmgtpe".indexOf(m[2]) + 1;
    const base = m[3] === "b" ? 1000 : 1024;
    return { col: "size", unit: Number(m[1]) * base ** (m[2] === "" ? 0 : power) };
  }
  return undefined;
}

interface Token {
  text: string;
  start: number;
  end: number;
}

function tokensOf(line: string): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null = re.exec(line);
  while (m) {
    out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
    m = re.exec(line);
  }
  return out;
}

/** A value token: a count with an optional size suffix, a percentage, or `-`. */
const VALUE = /^(?:-|\d+(?:[.,]\d+)?(?:[KMGTPEZYk]i?|Bi|B)?%?)$/;

/** A number with an optional human suffix, split; undefined when not a number. */
function splitHuman(token: string): { value: number; suffix: string } | undefined {
  const m = /^(\d+(?:[.,]\d+)?)([KMGTPEZYk]i?|Bi|B)?$/.exec(token);
  if (!m) return undefined;
  const value = num(m[1]);
  return value === undefined ? undefined : { value, suffix: m[2] ?? "" };
}

function scale(suffix: string, si: boolean): number {
  if (suffix === "" || suffix === "B" || suffix === "Bi") return 1;
  const power = "KMGTPEZY".indexOf(suffix[0].toUpperCase()) + 1;
  const base = suffix.endsWith("i") ? 1024 : si ? 1000 : 1024;
  return base ** power;
}

interface Pending {
  row: DfRow;
  key: "size_bytes" | "used_bytes" | "avail_bytes" | "inodes" | "iused" | "ifree";
  value: number;
  suffix: string;
  unit: number;
}

/**
 * Parses any `df` output (see {@link DfFacts}). Throws UnrecognisedOutputError when no df
 * header line was found; a header alone gives empty rows.
 */
export function parseDf(lines: Iterable<string>): ParseResult<DfFacts> {
  const problems = new ProblemLog();
  const rows: DfRow[] = [];
  const pending: Pending[] = [];
  let cols: Col[] | undefined;
  let unit = 1024;
  let wrapped: { text: string; line: number } | undefined;
  let n = 0;

  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const header = headerOf(line);
    if (header) {
      cols = header.cols;
      unit = header.unit;
      if (wrapped) problems.add(wrapped.line, wrapped.text, "source name without its numbers");
      wrapped = undefined;
      continue;
    }
    if (/^(\S*\/)?df: /.test(line)) {
      problems.add(n, line, "df error message");
      continue;
    }
    if (!cols) {
      problems.add(n, line, "not a df line (before any df header)");
      continue;
    }
    const toks = tokensOf(line);
    if (
      toks.length === 1 &&
      cols.length > 2 &&
      cols[0] === "filesystem" &&
      !VALUE.test(toks[0].text)
    ) {
      if (wrapped) problems.add(wrapped.line, wrapped.text, "source name without its numbers");
      wrapped = { text: toks[0].text, line: n };
      continue;
    }
    let values: Partial<Record<Col, string>> | undefined;
    if (wrapped && cols[0] === "filesystem") {
      values = assign(line, [{ text: wrapped.text, start: -1, end: -1 }, ...toks], cols);
    }
    if (wrapped && !values)
      problems.add(wrapped.line, wrapped.text, "source name without its numbers");
    wrapped = undefined;
    values ??= assign(line, toks, cols);
    const row = values && buildRow(values, cols, unit, pending);
    if (!row) {
      problems.add(n, line, "not a df row for the columns of the header");
      continue;
    }
    rows.push(row);
  }
  if (wrapped) problems.add(wrapped.line, wrapped.text, "source name without its numbers");
  if (!cols)
    throw new UnrecognisedOutputError(
      "df",
      "no df header line (Filesystem … Mounted on) was found",
    );

  const si = pending.some((p) => p.suffix === "k");
  for (const p of pending) {
    p.row[p.key] = p.suffix === "" ? p.value * p.unit : Math.round(p.value * scale(p.suffix, si));
    if (p.suffix !== "" && p.suffix !== "B" && p.suffix !== "Bi" && p.unit === 1) {
      p.row.approximate = true;
    }
  }
  for (const row of rows) {
    if (
      row.iused != null &&
      row.ifree != null &&
      row.inodes === undefined &&
      row.iuse_pct !== undefined
    ) {
      row.inodes = row.iused + row.ifree;
    }
  }
  const facts: DfFacts = { rows };
  const real = rows.filter((r) => !r.pseudo);
  facts.worst = maxBy(real, (r) => r.use_pct);
  facts.worst_inodes = maxBy(real, (r) => r.iuse_pct);
  if (!facts.worst) delete facts.worst;
  if (!facts.worst_inodes) delete facts.worst_inodes;
  return { facts, problems: problems.list() };
}

function maxBy(rows: DfRow[], key: (r: DfRow) => number | null | undefined): DfRow | undefined {
  let best: DfRow | undefined;
  for (const r of rows) {
    const v = key(r);
    if (v == null) continue;
    const b = best ? key(best) : undefined;
    if (b == null || v > b) best = r;
  }
  return best;
}

/** Recognises a header line: `Filesystem … Mounted on`; returns its columns and block unit. */
function headerOf(line: string): { cols: Col[]; unit: number } | undefined {
  if (!/^\s*Filesystem\s/i.test(line) || !/\bMounted\s+on\s*$/i.test(line)) return undefined;
  const words = line
    .trim()
    .replace(/Mounted\s+on\s*$/i, "")
    .trim()
    .split(/\s+/);
  const cols: Col[] = [];
  let unit = 1024;
  for (const w of words) {
    const c = columnOf(w);
    if (!c) return undefined;
    cols.push(c.col);
    if (c.unit !== undefined) unit = c.unit;
  }
  cols.push("mount");
  return { cols, unit };
}

/**
 * Maps the tokens of a row onto the columns. Extra tokens (spaces inside a name) go to the
 * mount point when it is the last column, else to the source name.
 */
function assign(
  line: string,
  toks: Token[],
  cols: Col[],
): Partial<Record<Col, string>> | undefined {
  if (toks.length < cols.length) return undefined;
  const extra = toks.length - cols.length;
  const tryLayout = (absorb: "mount" | "filesystem"): Partial<Record<Col, string>> | undefined => {
    const out: Partial<Record<Col, string>> = {};
    let t = 0;
    for (let c = 0; c < cols.length; c++) {
      const col = cols[c];
      const take = col === absorb ? 1 + extra : 1;
      const first = toks[t];
      const last = toks[t + take - 1];
      let text: string;
      if (take === 1) text = first.text;
      else if (first.start < 0)
        return undefined; // a wrapped name never absorbs tokens
      else text = line.slice(first.start, last.end);
      t += take;
      if (!TEXT_COLS.has(col) && !VALUE.test(text)) return undefined;
      out[col] = text;
    }
    return out;
  };
  if (extra === 0) return tryLayout("mount");
  return (
    (cols[cols.length - 1] === "mount" ? tryLayout("mount") : undefined) ??
    (cols[0] === "filesystem" ? tryLayout("filesystem") : undefined)
  );
}

const KEY_OF: Partial<Record<Col, Pending["key"]>> = {
  size: "size_bytes",
  used: "used_bytes",
  avail: "avail_bytes",
  inodes: "inodes",
  iused: "iused",
  ifree: "ifree",
};

function buildRow(
  values: Partial<Record<Col, string>>,
  cols: Col[],
  unit: number,
  pending: Pending[],
): DfRow | undefined {
  const row = { filesystem: values.filesystem ?? "" } as DfRow;
  if (values.type !== undefined) row.type = values.type;
  for (const col of cols) {
    const text = values[col];
    if (text === undefined) continue;
    if (col === "use_pct" || col === "iuse_pct") {
      if (text === "-") row[col] = null;
      else {
        const v = num(text.replace(/%$/, ""));
        if (v === undefined) return undefined;
        row[col] = v;
      }
      continue;
    }
    const key = KEY_OF[col];
    if (!key) continue;
    if (text === "-") {
      row[key] = null;
      continue;
    }
    const h = splitHuman(text);
    if (!h) return undefined;
    const isBlock = col === "size" || col === "used" || col === "avail";
    pending.push({ row, key, value: h.value, suffix: h.suffix, unit: isBlock ? unit : 1 });
    row[key] = h.value;
  }
  if (values.file !== undefined) row.file = values.file;
  row.mount = values.mount ?? "";
  const { pseudo, network } = classify(row);
  row.pseudo = pseudo;
  row.network = network;
  return row;
}

function classify(row: DfRow): { pseudo: boolean; network: boolean } {
  const type = row.type?.toLowerCase();
  const src = row.filesystem;
  const network = type ? NETWORK_TYPES.test(type) : /^[^/\s]+:\//.test(src) || src.startsWith("//");
  let pseudo: boolean;
  if (type) pseudo = PSEUDO_TYPES.has(type);
  else
    pseudo =
      PSEUDO_SOURCES.has(src.toLowerCase().split(" ")[0]) ||
      (/^\/dev\/loop\d+$/.test(src) && row.mount.startsWith("/snap/"));
  return { pseudo, network };
}
