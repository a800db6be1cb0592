/**
 * Header lines for table rows pasted without them (`ss -tan | grep :443`, `top -b -n1 | tail`,
 * `df -h | grep /var`, a cut-off iostat block): the header the command would have printed,
 * chosen from its flags and, where the tool's version changes the columns, from the number of
 * fields in the first row. Nothing is added when a header line is present.
 *
 * Column layouts: procps-ng top(1) and vmstat(8); coreutils df(1); iproute2 ss(8) and
 * net-tools netstat(8); lsof(8); sysstat iostat(1), mpstat(1) (versions 9 to 12).
 */

type Header = (argv: string[], first: string[]) => string[] | undefined;

const flags = (argv: string[]) =>
  argv
    .slice(1)
    .filter((x) => /^-[a-zA-Z]+$/.test(x))
    .join("");

/** iostat -x device columns by field count of a row (device name included). */
const IOSTAT_X: Record<number, string> = {
  12: "Device: rrqm/s wrqm/s r/s w/s rsec/s wsec/s avgrq-sz avgqu-sz await svctm %util",
  14: "Device: rrqm/s wrqm/s r/s w/s rkB/s wkB/s avgrq-sz avgqu-sz await r_await w_await svctm %util",
  16: "Device r/s w/s rkB/s wkB/s rrqm/s wrqm/s %rrqm %wrqm r_await w_await aqu-sz rareq-sz wareq-sz svctm %util",
  15: "Device r/s rkB/s rrqm/s %rrqm r_await rareq-sz w/s wkB/s wrqm/s %wrqm w_await wareq-sz aqu-sz %util",
  21: "Device r/s rkB/s rrqm/s %rrqm r_await rareq-sz w/s wkB/s wrqm/s %wrqm w_await wareq-sz d/s dkB/s drqm/s %drqm d_await dareq-sz aqu-sz %util",
  23: "Device r/s rkB/s rrqm/s %rrqm r_await rareq-sz w/s wkB/s wrqm/s %wrqm w_await wareq-sz d/s dkB/s drqm/s %drqm d_await dareq-sz f/s f_await aqu-sz %util",
};

const VMSTAT_GROUPS =
  "procs -----------memory---------- ---swap-- -----io---- -system-- -------cpu-------";
const VMSTAT_COLUMNS = "r b swpd free buff cache si so bi bo in cs us sy id wa st gu".split(" ");

const TABLES: Record<string, { present: RegExp; header: Header }> = {
  df: {
    present: /^Filesystem\s/,
    header: (argv) => {
      const f = flags(argv);
      const type = /T/.test(f) ? " Type" : "";
      if (/i/.test(f)) return [`Filesystem${type} Inodes IUsed IFree IUse% Mounted on`];
      if (/[hH]/.test(f)) return [`Filesystem${type} Size Used Avail Use% Mounted on`];
      return [
        `Filesystem${type} ${/m/.test(f) ? "1M" : "1K"}-blocks Used Available Use% Mounted on`,
      ];
    },
  },
  top: {
    present: /^\s*PID\s+USER\s/,
    header: (_a, first) =>
      /^\d+$/.test(first[0] ?? "") && first.length >= 12
        ? ["  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND"]
        : undefined,
  },
  vmstat: {
    present: /^\s*r\s+b\s/,
    header: (_a, first) =>
      first.length >= 16 && first.length <= 18 && first.every((x) => /^\d+$/.test(x))
        ? [VMSTAT_GROUPS, VMSTAT_COLUMNS.slice(0, first.length).join(" ")]
        : undefined,
  },
  iostat: {
    present: /^Device:?\s/,
    header: (argv, first) => {
      const h = IOSTAT_X[first.length];
      if (!h || !/x/.test(flags(argv))) return undefined;
      return [/m/.test(flags(argv)) ? h.replaceAll("kB/s", "MB/s") : h];
    },
  },
  "ss-tcp": { present: /^(?:Netid\s+)?State\s+Recv-Q/, header: ssHeader },
  "ss-listen": { present: /^(?:Netid\s+)?State\s+Recv-Q/, header: ssHeader },
  "netstat-conn": {
    present: /^Proto\s+Recv-Q/,
    header: (argv) => [
      `Proto Recv-Q Send-Q Local Address           Foreign Address         State${/p/.test(flags(argv)) ? "       PID/Program name" : ""}`,
    ],
  },
  "open-files": {
    present: /^COMMAND\s+PID\s/,
    header: () => ["COMMAND     PID   USER   FD      TYPE DEVICE SIZE/OFF    NODE NAME"],
  },
  "deleted-open-files": {
    present: /^COMMAND\s+PID\s/,
    header: () => ["COMMAND     PID   USER   FD   TYPE DEVICE SIZE/OFF NLINK    NODE NAME"],
  },
  mpstat: {
    present: /\sCPU\s+%usr\s/,
    header: (_a, first) => {
      const cpu = first.findIndex((x) => x === "all" || /^\d+$/.test(x));
      const numbers = first.length - cpu - 1;
      if (cpu < 1 || (numbers !== 10 && numbers !== 9)) return undefined;
      const time = first.slice(0, cpu).join(" ");
      const tail = numbers === 10 ? " %gnice" : "";
      return [`${time} CPU %usr %nice %sys %iowait %irq %soft %steal %guest${tail} %idle`];
    },
  },
};

function ssHeader(_argv: string[], first: string[]): string[] {
  const netid = /^(?:tcp|udp|raw|u_\w+|nl|p_\w+|v_\w+|mptcp|sctp|dccp)$/.test(first[0] ?? "");
  const state = /^[A-Z][A-Z0-9-]+$/.test(first[netid ? 1 : 0] ?? "");
  const cols = `${state ? "State " : ""}Recv-Q Send-Q Local Address:Port Peer Address:Port Process`;
  return [netid ? `Netid ${cols}` : cols];
}

/** The rows with the header their command prints, when it is missing and can be told. */
export function synthesiseHeader(id: string, argv: string[], lines: string[]): string[] {
  const table = TABLES[id];
  if (!table || lines.some((l) => table.present.test(l))) return lines;
  const firstRow = lines.find((l) => l.trim() !== "");
  if (firstRow === undefined) return lines;
  const header = table.header(argv, firstRow.trim().split(/\s+/));
  return header ? [...header, ...lines] : lines;
}
