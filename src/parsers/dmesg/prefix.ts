/**
 * Timestamp and prefix reading: splits one kernel-log line into its stamps (printk monotonic
 * seconds, printed wall-clock time, log level) and the kernel message, for every format listed on
 * `DmesgFacts` (../dmesg.ts): plain `dmesg` with or without `-T`, `-x`, `-r`, delta and reltime
 * stamps, `/dev/kmsg` records (Documentation/ABI/testing/dev-kmsg), `journalctl -k` in the
 * short, short-precise, short-iso and short-monotonic outputs, and syslog files (RFC 3164 and
 * ISO dates, with or without the host). util-linux sys-utils/dmesg.c prints the dmesg forms;
 * systemd's src/shared/logs-show.c the journalctl ones.
 */
import { Match } from "./text.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are control characters
export const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const MONTHS: Record<string, string> = {
  Jan: "01",
  Feb: "02",
  Mar: "03",
  Apr: "04",
  May: "05",
  Jun: "06",
  Jul: "07",
  Aug: "08",
  Sep: "09",
  Oct: "10",
  Nov: "11",
  Dec: "12",
};
const LEVELS = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"];

/** util-linux dmesg -x: `kern  :err   : ` (facility padded to 6, level to 6). */
const DECODE_PREFIX =
  /^(kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|res\d|local[0-7])\s*:\s*(emerg|alert|crit|err|warn|notice|info|debug)\s*:\s?/;
/** dmesg -r / syslog priority: `<3>`. */
const RAW_PRIO = /^<(\d{1,3})>/;
/** /dev/kmsg record: `prio,seq,usec,flags[,…];message` (Documentation/ABI/testing/dev-kmsg). */
const KMSG = /^(\d{1,3}),(\d+),(\d+),[^;]*;(.*)$/;
/** A bracketed dmesg stamp: `[  12.345678]`, `[12.3 < 0.1>]`, `[<  0.1>]`, `[  +0.1]`, `[Nov30 10:00]`, `[Mon Nov 30 10:00:00 2026]`. */
const BRACKET = /^\[([^\]]{1,60})\](?: |$)?/;
const MONO = /^\s*(\d+\.\d+)\s*(?:<\s*\d+\.\d+>)?\s*$/;
const DELTA_ONLY = /^\s*(?:<\s*\d+\.\d+>|\+\s*\d+\.\d+)\s*$/;
const RELTIME = /^([A-Z][a-z]{2})\s?(\d{1,2}) (\d\d):(\d\d)$/;
const CTIME =
  /^(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d:\d\d:\d\d) (\d{4})\s*(?:<\s*\d+\.\d+>)?\s*$/;
/** A wall-clock stamp some log shippers put in brackets: `[2023-06-22 21:55:31.352444]`. */
const BRACKET_ISO = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?$/;
/** `dmesg -T` with localised day and month names. */
const LOCALISED_CTIME = /^\S{2,12}\.? \S{2,12}\.?\s+\d{1,2} \d\d:\d\d:\d\d \d{4}$/;
/** printk caller id (CONFIG_PRINTK_CALLER): `[T123]`, `[    C1]`. */
const CALLER = /^\[\s*[TC]\d+\]\s?/;
/** ISO stamp: `dmesg --time-format iso` (decimal comma) or syslog/journalctl short-iso(-precise). */
const ISO = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:([.,])(\d+))?(Z|[+-]\d\d:?\d\d)?\s+(.*)$/;
/** RFC 3164 syslog / journalctl short(-precise): `Nov 30 10:00:00[.123456] `. */
const RFC3164 = /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d:\d\d:\d\d)(\.\d+)?\s+(.*)$/;
/** After the syslog stamp: `[host ]tag[pid]: message` (the host is optional: some paste without it). */
const SYSLOG_TAG = /^(?:([^\s:]+)\s+)?([^\s:[\]]+)(?:\[(\d+)\])?:\s?(.*)$/;
/** metalog and some syslog-ng templates: `[host ][kernel] message`. */
const SYSLOG_BRACKET_TAG = /^(?:[^\s:[\]]+\s+)?\[([^\s\]]+)\]\s(.*)$/;
const KERNEL_TAGS = new Set(["kernel", "vmunix", "klogd"]);
/** journalctl's own lines: `-- Logs begin at …`, `-- Boot 0123abcd… --`, `-- Reboot --`, `-- No entries --`. */
export const JOURNAL_META = /^-- .*--\s*$|^-- (No entries|Logs begin|Journal begins)/;
export const JOURNAL_BOOT = /^-- (Boot [0-9a-f]+|Reboot) --/;

/** Shell prompts pasted with the output: `$ dmesg`, `# dmesg -T`, `root@host:~# dmesg`, `[user@host dir]$ `. */
export const PROMPT =
  /^\s*(?:[$#>](?:\s+\S.*)?\s*$|[\w.-]+@[\w.-]+(?::[^\s$#]*)?\s*[$#](?:\s.*)?$|\[[^\]\s]+@[^\]]+\][$#](?:\s.*)?$)/;
export const ELISION = /^\s*(?:\.{3,}|…|\[\.\.\.\]|\[snip\]|<snip>|\.\.\. ?\(\d+ lines?.*\))\s*$/i;

export interface Prefixed {
  msg: string;
  t_s?: number;
  wallclock?: string;
  level?: string;
  /** A prefix of a known format was read. */
  stamped: boolean;
  /** A syslog line from another program than the kernel. */
  foreign?: boolean;
  /** The whole line, colour escapes removed. */
  raw: string;
}

function pad2(s: string): string {
  return s.length === 1 ? `0${s}` : s;
}

function zone(z: string | undefined): string {
  if (!z) return "";
  if (z === "Z") return "Z";
  return z.includes(":") ? z : `${z.slice(0, 3)}:${z.slice(3)}`;
}

/** Reads the bracketed stamps at the start of `s` (up to two, e.g. reltime + ctime) and the caller id. */
function readBrackets(s: string, out: Prefixed): string {
  let rest = s;
  for (let i = 0; i < 2; i++) {
    const m = BRACKET.exec(rest);
    if (!m) break;
    const inner = m[1];
    const mt = new Match();
    if (mt.test(MONO, inner)) {
      out.t_s = Number(mt.m[1]);
    } else if (DELTA_ONLY.test(inner)) {
      // delta since the previous message: no absolute time
    } else if (mt.test(CTIME, inner) && MONTHS[mt.m[1]]) {
      out.wallclock = `${mt.m[4]}-${MONTHS[mt.m[1]]}-${pad2(mt.m[2])}T${mt.m[3]}`;
    } else if (mt.test(BRACKET_ISO, inner)) {
      out.wallclock = `${mt.m[1]}T${mt.m[2]}${mt.m[3] ? `.${mt.m[3]}` : ""}${zone(mt.m[4])}`;
    } else if (LOCALISED_CTIME.test(inner)) {
      // `dmesg -T` under a non-English locale (`[Ср мар 10 20:19:39 2021]`): a stamp, month unknown
    } else if (mt.test(RELTIME, inner) && MONTHS[mt.m[1]]) {
      out.wallclock ??= `--${MONTHS[mt.m[1]]}-${pad2(mt.m[2])}T${mt.m[3]}:${mt.m[4]}:00`;
    } else break;
    out.stamped = true;
    rest = rest.slice(m[0].length);
  }
  if (out.stamped) {
    const c = CALLER.exec(rest);
    if (c) rest = rest.slice(c[0].length);
  }
  return rest;
}

/** Removes a syslog `[host ]tag[pid]: ` (or metalog's `[kernel] `), marking other programs' lines foreign. */
function readTag(s: string, out: Prefixed): string {
  const t = SYSLOG_TAG.exec(s);
  if (t) {
    if (KERNEL_TAGS.has(t[2])) return t[4];
    // `stamp subsystem: msg` with neither host nor pid is a kernel message behind a shipper's stamp
    if (t[1] === undefined && t[3] === undefined) return s;
    out.foreign = true;
    return t[4];
  }
  const b = SYSLOG_BRACKET_TAG.exec(s);
  if (b) {
    if (!KERNEL_TAGS.has(b[1])) out.foreign = true;
    return b[2];
  }
  return s;
}

/** Splits one line (colour escapes already removed) into its stamps and the kernel message. */
export function readPrefix(line: string): Prefixed {
  const out: Prefixed = { msg: line, stamped: false, raw: line };
  let s = line;
  const mt = new Match();

  if (mt.test(DECODE_PREFIX, s)) {
    out.level = mt.m[2];
    out.stamped = true;
    s = s.slice(mt.m[0].length);
  }
  if (mt.test(KMSG, s)) {
    out.level = LEVELS[Number(mt.m[1]) & 7];
    out.t_s = Number(mt.m[3]) / 1e6;
    out.stamped = true;
    out.msg = mt.m[4];
    return out;
  }
  if (mt.test(RAW_PRIO, s)) {
    out.level = LEVELS[Number(mt.m[1]) & 7];
    out.stamped = true;
    s = s.slice(mt.m[0].length);
  }
  if (mt.test(ISO, s)) {
    const frac = mt.m[4] ? `.${mt.m[4]}` : "";
    out.wallclock = `${mt.m[1]}T${mt.m[2]}${frac}${zone(mt.m[5])}`;
    out.stamped = true;
    s = mt.m[6];
    if (mt.m[3] !== "," && !s.startsWith("[<")) {
      // syslog / journalctl: `host tag: msg`; dmesg --time-format iso prints a decimal comma
      s = readTag(s, out);
    }
  } else if (mt.test(RFC3164, s) && MONTHS[mt.m[1]]) {
    out.wallclock = `--${MONTHS[mt.m[1]]}-${pad2(mt.m[2])}T${mt.m[3]}${mt.m[4] ?? ""}`;
    out.stamped = true;
    s = readTag(mt.m[5], out);
  }
  // a syslog line pasted without its date (`kernel: [  299.949355] msg`) or with the time only
  // (`14:05:22 host kernel: msg`, a custom rsyslog template)
  if (!out.stamped && mt.test(/^(?:\d\d:\d\d:\d\d(?:\.\d+)? (?:[^\s:]+ )?)?kernel: /, s)) {
    s = s.slice(mt.m[0].length);
  }
  s = readBrackets(s, out);
  // journalctl -o short-monotonic: `[  12.345678] host kernel: msg`
  if (out.stamped && mt.test(/^([^\s:]+) (kernel): ?/, s)) s = s.slice(mt.m[0].length);
  out.msg = s;
  return out;
}
