import { fields, ProblemLog } from "./lines.js";
import {
  columnBase,
  columnKey,
  parseBanner,
  rowStamp,
  type SysstatBanner,
  sysstatNumber,
} from "./sysstat.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * One row of a sar section: the stamp and every column under its {@link columnKey} name
 * (`%user` → `user_pct`, `rkB/s` → `rkb_per_s`, `ldavg-1` → `ldavg_1`, `DEV` → `dev`).
 * Numbers stay in the unit of their column (`kbmemfree` in kB, `MBfsfree` in MB; `--human`
 * values such as `1.4G` are converted back into that unit, `82.9%` read as 82.9). Text
 * columns (device, interface, file system, USB product, battery status) are strings;
 * `sadf -d` prints the `all` CPU as -1, stored as `"all"`.
 */
export interface SarRow {
  /** `HH:MM:SS` (24 h) for sar; the full `YYYY-MM-DD HH:MM:SS UTC` stamp for `sadf -d`. */
  time?: string;
  /** `sadf -d`: the interval in seconds. */
  interval_s?: number;
  [column: string]: number | string | undefined;
}

/** All the rows of one kind of sar report (one `sar` option). */
export interface SarSection {
  /** The sar option the section comes from (`-u`, `-d`, `-n DEV`, …) when known. */
  option?: string;
  /** Column keys in the order printed (union over repeated headers). */
  columns: string[];
  rows: SarRow[];
  /** `Average:` (and `-F` `Summary:`) rows. */
  average: SarRow[];
}

/**
 * Facts from `sar` reports, `sar -A` over a sysstat history file included, and from
 * `sadf -d` (`;`-separated).
 *
 * Command (collector): `sar -A` (today's history file). Sample:
 * ```
 * Linux 1.2.3-TEST (SYSSTAT.TEST) 	04/18/19 	_x86_64_	(9 CPU)
 *
 * 13:20:09        CPU     %user     %nice   %system   %iowait    %steal     %idle
 * 13:20:19        all      2.15     12.50      2.36      0.12      0.00     82.88
 * ...
 * 13:37:29     LINUX RESTART	(9 CPU)
 * ```
 * Yields: `banner.cpus = 9`, `sections.cpu.rows[0].cpu = "all"`.
 * Yields: `sections.cpu.rows[0].user_pct = 2.15`, `sections.cpu.rows[0].nice_pct = 12.5`.
 * Sections are keyed by a stable name taken from the header's columns: `cpu` (-u, -P),
 * `task` (-w), `interrupts` (-I), `swapping` (-W), `paging` (-B), `io` (-b), `memory` (-r),
 * `swap` (-S), `hugepages` (-H), `inode` (-v), `queue` (-q), `psi_cpu`/`psi_io`/`psi_mem`
 * (-q PSI), `serial` (-y), `disk` (-d), `net_dev`, `net_edev`, `net_nfs`, `net_nfsd`,
 * `net_sock`, `net_ip`, `net_eip`, `net_icmp`, `net_eicmp`, `net_tcp`, `net_etcp`,
 * `net_udp`, the same with `6` for IPv6, `net_softnet`, `fc` (-n …), `cpu_freq`,
 * `cpu_freq_weighted`, `fan`, `temp`, `voltage`, `usb` (-m), `battery`, `filesystem` (-F);
 * an unknown header gives a section named after its columns.
 * Variants read: sysstat 9.x to 12.x column sets, `--human`, `-p`/`--dev`, `-F` Summary
 * rows, 12-hour stamps, decimal commas, `LINUX RESTART` and `COM` records, `sadf -d`.
 * Source: sar(1), sadf(1), sysstat tests/expected.sar-*, expected.data-*.
 */
export interface SarFacts {
  banner?: SysstatBanner;
  /** `sadf -d`: the host name of the records. */
  hostname?: string;
  sections: Record<string, SarSection>;
  /** `LINUX RESTART` records: time and the CPU count after the restart. */
  restarts: { time: string; cpus?: number }[];
  /** `COM` records (`sar -C`). */
  comments: { time: string; text: string }[];
}

/** Signature column (first match wins) → section name and sar option. */
const SIGNATURES: [(cols: string[]) => boolean, string, string | undefined][] = [
  [(c) => c.includes("%usr") || c.includes("%user"), "cpu", "-u"],
  [(c) => c.includes("proc/s"), "task", "-w"],
  [(c) => c[0] === "INTR", "interrupts", "-I"],
  [(c) => c.includes("pswpin/s"), "swapping", "-W"],
  [(c) => c.includes("pgpgin/s"), "paging", "-B"],
  [(c) => c.includes("rtps"), "io", "-b"],
  [(c) => c.includes("kbmemfree"), "memory", "-r"],
  [(c) => c.includes("frmpg/s"), "memory_pages", "-R"],
  [(c) => c.includes("kbswpfree"), "swap", "-S"],
  [(c) => c.includes("kbhugfree"), "hugepages", "-H"],
  [(c) => c.includes("dentunusd"), "inode", "-v"],
  [(c) => c.includes("runq-sz"), "queue", "-q"],
  [(c) => c.includes("%scpu-10"), "psi_cpu", "-q CPU"],
  [(c) => c.includes("%sio-10"), "psi_io", "-q IO"],
  [(c) => c.includes("%smem-10"), "psi_mem", "-q MEM"],
  [(c) => c.includes("TTY"), "serial", "-y"],
  [(c) => c.includes("DEV") && c.includes("tps"), "disk", "-d"],
  [(c) => c.includes("IFACE") && c.includes("rxpck/s"), "net_dev", "-n DEV"],
  [(c) => c.includes("IFACE") && c.includes("rxerr/s"), "net_edev", "-n EDEV"],
  [(c) => c.includes("call/s"), "net_nfs", "-n NFS"],
  [(c) => c.includes("scall/s"), "net_nfsd", "-n NFSD"],
  [(c) => c.includes("totsck"), "net_sock", "-n SOCK"],
  [(c) => c.includes("irec/s"), "net_ip", "-n IP"],
  [(c) => c.includes("ihdrerr/s"), "net_eip", "-n EIP"],
  [(c) => c.includes("imsg/s"), "net_icmp", "-n ICMP"],
  [(c) => c.includes("ierr/s"), "net_eicmp", "-n EICMP"],
  [(c) => c.includes("active/s"), "net_tcp", "-n TCP"],
  [(c) => c.includes("atmptf/s"), "net_etcp", "-n ETCP"],
  [(c) => c.includes("idgm/s"), "net_udp", "-n UDP"],
  [(c) => c.includes("tcp6sck"), "net_sock6", "-n SOCK6"],
  [(c) => c.includes("irec6/s"), "net_ip6", "-n IP6"],
  [(c) => c.includes("ihdrer6/s"), "net_eip6", "-n EIP6"],
  [(c) => c.includes("imsg6/s"), "net_icmp6", "-n ICMP6"],
  [(c) => c.includes("ierr6/s"), "net_eicmp6", "-n EICMP6"],
  [(c) => c.includes("idgm6/s"), "net_udp6", "-n UDP6"],
  [(c) => c.includes("total/s") && c.includes("dropd/s"), "net_softnet", "-n SOFT"],
  [(c) => c.includes("fch_rxf/s"), "fc", "-n FC"],
  [(c) => c.includes("wghMHz"), "cpu_freq_weighted", "-m FREQ"],
  [(c) => c.includes("MHz"), "cpu_freq", "-m CPU"],
  [(c) => c.includes("rpm"), "fan", "-m FAN"],
  [(c) => c.includes("degC"), "temp", "-m TEMP"],
  [(c) => c.includes("inV"), "voltage", "-m IN"],
  [(c) => c.includes("idvendor"), "usb", "-m USB"],
  [(c) => c.includes("BAT"), "battery", "-m BAT"],
  [(c) => c.includes("MBfsfree"), "filesystem", "-F"],
];

/** Id columns: a number when numeric, else text (`all`, `sum`). */
const ID_COLUMNS = new Set(["CPU", "BUS", "FAN", "TEMP", "IN", "BAT", "TTY", "INTR"]);
/** Name columns, always text; the last column of a table may hold spaces (USB product). */
const NAME_COLUMNS = new Set([
  "DEV",
  "IFACE",
  "FILESYSTEM",
  "FCHOST",
  "DEVICE",
  "manufact",
  "product",
  "status",
  "idvendor",
  "idprod",
]);

function sectionOf(columns: string[]): [string, string | undefined] {
  for (const [test, name, option] of SIGNATURES) if (test(columns)) return [name, option];
  return [columns.map(columnKey).join(","), undefined];
}

interface Table {
  name: string;
  columns: string[];
  keys: string[];
}

const RESTART = /^(?:LINUX[ -]RESTART)\s*(?:\((\d+) CPU\))?/;

/** Fills a row from value tokens; returns false when a numeric column is not a number. */
function fill(row: SarRow, t: Table, values: string[]): boolean {
  let vals = values;
  const last = t.columns[t.columns.length - 1];
  if (vals.length > t.columns.length && NAME_COLUMNS.has(last)) {
    vals = [...vals.slice(0, t.columns.length - 1), vals.slice(t.columns.length - 1).join(" ")];
  }
  // Name columns at the end may be blank (USB devices without strings, battery Average).
  while (vals.length < t.columns.length && NAME_COLUMNS.has(t.columns[vals.length])) {
    if (!t.columns.slice(vals.length).every((c) => NAME_COLUMNS.has(c))) break;
    vals = [...vals, ""];
  }
  if (vals.length !== t.columns.length) return false;
  for (let i = 0; i < t.columns.length; i++) {
    const col = t.columns[i];
    const tok = vals[i];
    const key = t.keys[i];
    if (NAME_COLUMNS.has(col)) {
      row[key] = tok;
      continue;
    }
    if (col === "CPU" && tok === "-1") {
      row[key] = "all";
      continue;
    }
    const v = sysstatNumber(tok, columnBase(col));
    if (v !== undefined) row[key] = v;
    else if (ID_COLUMNS.has(col) || !/\d/.test(tok)) row[key] = tok;
    else return false;
  }
  return true;
}

/**
 * Parses sar and `sadf -d` output (see {@link SarFacts}). Throws UnrecognisedOutputError when
 * no banner, sar header or sadf record was found.
 */
export function parseSar(lines: Iterable<string>): ParseResult<SarFacts> {
  const problems = new ProblemLog();
  const facts: SarFacts = { sections: {}, restarts: [], comments: [] };
  const seenRestart = new Set<string>();
  const seenComment = new Set<string>();
  let found = false;
  let table: Table | undefined;

  const open = (columns: string[]): Table => {
    const [name, option] = sectionOf(columns);
    const keys = columns.map(columnKey);
    let section = facts.sections[name];
    if (!section) {
      section = { columns: [], rows: [], average: [] };
      if (option) section.option = option;
      facts.sections[name] = section;
    }
    for (const k of keys) if (!section.columns.includes(k)) section.columns.push(k);
    return { name, columns, keys };
  };

  const restart = (time: string, text: string): boolean => {
    const m = RESTART.exec(text);
    if (!m) return false;
    if (!seenRestart.has(time)) {
      seenRestart.add(time);
      facts.restarts.push(m[1] ? { time, cpus: Number(m[1]) } : { time });
    }
    return true;
  };

  const comment = (time: string, text: string): boolean => {
    const m = /^COM\s+(.*)$/.exec(text);
    if (!m) return false;
    const key = `${time}|${m[1]}`;
    if (!seenComment.has(key)) {
      seenComment.add(key);
      facts.comments.push({ time, text: m[1] });
    }
    return true;
  };

  let n = 0;
  for (const raw of lines) {
    n++;
    if (raw.trim() === "") continue;

    // sadf -d: `# hostname;interval;timestamp;col;...` then `host;interval;stamp;values`.
    if (raw.startsWith("# hostname;")) {
      let cols = raw.slice(2).split(";").slice(3);
      // sadf names the USB columns in another order than it prints them.
      if (cols.join(";") === "manufact;product;BUS;idvendor;idprod;maxpower") {
        cols = ["BUS", "idvendor", "idprod", "maxpower", "manufact", "product"];
      }
      table = cols[cols.length - 1] === "CPU*" ? { name: "", columns: cols, keys: [] } : open(cols);
      found = true;
      continue;
    }
    if (raw.includes(";") && !raw.startsWith("#")) {
      const parts = raw.split(";");
      const interval = Number(parts[1]);
      if (parts.length >= 4 && Number.isFinite(interval) && /\d:\d\d:\d\d/.test(parts[2])) {
        facts.hostname ??= parts[0];
        const time = parts[2];
        const rest = parts.slice(3);
        if (restart(time, rest.join(";")) || comment(time, rest.join(";"))) {
          found = true;
          continue;
        }
        if (!table) {
          problems.add(n, raw, "sadf record before its header");
          continue;
        }
        let t = table;
        if (t.name === "") {
          // `INTR;CPU*`: the columns are `all` then one per CPU online at that time.
          const count = rest.length - 1;
          t = open(["INTR", "all", ...Array.from({ length: count - 1 }, (_, i) => `CPU${i}`)]);
        }
        const row: SarRow = { time, interval_s: interval };
        if (!fill(row, t, rest)) {
          problems.add(n, raw, "sadf record whose fields do not match its header");
          continue;
        }
        facts.sections[t.name].rows.push(row);
        found = true;
        continue;
      }
    }

    const b = parseBanner(raw);
    if (b) {
      facts.banner ??= b;
      found = true;
      continue;
    }
    const tokens = fields(raw);
    const stamp = rowStamp(tokens);
    if (!stamp || stamp.kind === "epoch") {
      problems.add(n, raw, "not a sar line");
      continue;
    }
    const rest = tokens.slice(stamp.used);
    const restText = raw.trim().split(/\s+/).slice(stamp.used).join(" ");
    if (
      stamp.time !== undefined &&
      (restart(stamp.time, restText) || comment(stamp.time, restText))
    ) {
      found = true;
      continue;
    }
    if (rest.length === 0) {
      problems.add(n, raw, "sar stamp without columns");
      continue;
    }
    if (rest.every((t) => sysstatNumber(t) === undefined && !/^\d/.test(t))) {
      table = open(rest);
      found = true;
      continue;
    }
    if (!table) {
      problems.add(n, raw, "sar row before its header");
      continue;
    }
    const row: SarRow = {};
    if (stamp.time !== undefined) row.time = stamp.time;
    if (!fill(row, table, rest)) {
      problems.add(n, raw, "sar row whose fields do not match its header");
      continue;
    }
    const section = facts.sections[table.name];
    (stamp.kind === "clock" ? section.rows : section.average).push(row);
    found = true;
  }
  if (!found) throw new UnrecognisedOutputError("sar");
  const out: SarFacts = facts.banner ? { banner: facts.banner, ...facts } : facts;
  return { facts: out, problems: problems.list() };
}
