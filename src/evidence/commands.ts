/**
 * Names the collector whose output a pasted command printed: `cat /proc/meminfo` → meminfo,
 * `cat /proc/sys/net/core/somaxconn` → sysctl, `journalctl -k` / `logread` → dmesg, and so on
 * for every collector id (DESIGN.md "Collectors and the evidence bundle"). Nothing here runs
 * a command: the text is only matched.
 *
 * A pipeline is read stage by stage: the first stage names the collector, `grep`, `head`,
 * `tail`, `awk`, `sed`, `sort`, `uniq` and `cut` make the output partial, and a last `wc -l`
 * (or `grep -c`) turns it into a count.
 */

/** What a command line was recognised as. */
export interface Recognised {
  /** Collector id whose parser reads the output; undefined when none does. */
  id?: string;
  /** The stage that produced the output, without `sudo` and wrappers. */
  main: string;
  /** Filter stages after it (`grep TIME-WAIT`, `head -20`). */
  filters: string[];
  /** The output is a count (`| wc -l`, `grep -c`) of what the stages before it printed. */
  count: boolean;
  /** A filter dropped lines (`grep`, `head`, `tail`): only part of the output is there. */
  partial: boolean;
  /** Why no collector reads it, when `id` is undefined. */
  why?: string;
}

/** Shell words that make a line behind a bare `# ` or `$ ` a command rather than a comment. */
const SHELL_WORDS = new Set(
  (
    "ls cd echo grep egrep find cat less more head tail ps kill pkill pgrep which whoami id " +
    "sudo su ssh scp curl wget systemctl service journalctl docker kubectl podman ip ping " +
    "mount umount lsblk blkid fdisk parted xfs_info tune2fs dumpe2fs numfmt rpm dpkg apt " +
    "apt-get yum dnf zypper mkdir rm cp mv touch chmod chown ln tar gzip watch time env " +
    "export set ulimit sysctl modprobe lsmod cut sort uniq wc awk sed tr stress stress-ng " +
    "taskset perf strace ltrace gdb pstack jstack java python python3 node npm make " +
    "vcgencmd hostname date ifconfig route arp tcpdump nc telnet openssl git vi vim nano"
  ).split(" "),
);

/** Wrappers whose arguments end at ` -- ` or at the first word that is not an option. */
const WRAPPERS =
  /^(?:sudo|doas|time|nice|ionice|env|command|exec|nohup|stdbuf|chroot|LC_ALL=\S+|LANG=\S+|\w+=\S*)$/;

type Rule = [RegExp, string | ((argv: string[], text: string) => string | undefined)];

/** Path read by `cat`, `more`, `less`, `head`, `tail`, `tac` → collector id. */
const PATHS: Rule[] = [
  [/^\/proc\/meminfo$/, "meminfo"],
  [/^\/proc\/sys\/fs\/file-nr$/, "file-nr"],
  [/\/nf_conntrack_(?:count|max)$|\/ip_conntrack_(?:count|max)$/, "conntrack"],
  [/^\/proc\/sys\//, "sysctl"],
  [/^\/proc\/(?:loadavg|uptime)$/, "uptime"],
  [/^\/proc\/stat$/, "proc-stat"],
  [/^\/proc\/diskstats$/, "diskstats"],
  [/^\/proc\/vmstat$/, "proc-vmstat"],
  [/^\/proc\/zoneinfo$/, "zoneinfo"],
  [/^\/proc\/pressure\/(cpu|memory|io)$/, (a) => `pressure-${/(cpu|memory|io)$/.exec(a[0])![1]}`],
  [/^\/proc\/net\/sockstat6?$/, "sockstat"],
  [/^\/proc\/net\/rpc\/nfs$/, "nfs-client"],
  [/^\/proc\/(?:\d+|self|\$\w+)\/limits$/, "proc-limits"],
  [/(?:^|\/)cpu\.stat$/, "cgroup-cpu"],
  [/(?:^|\/)memory\.(?:events(?:\.local)?|oom_control|failcnt)$/, "cgroup-memory"],
  [/(?:^|\/)pids\.(?:max|current|events)$/, "cgroup-pids"],
  [/clocksource\d*\/(?:current|available)_clocksource$/, "clocksource"],
  [/^\/var\/log\/(?:kern\.log|messages|syslog|dmesg)(?:\.\d+)?$/, "dmesg"],
  [/^\/sys\//, "sysctl"],
];

/** First word of the producing stage → collector id (or a function of the arguments). */
const COMMANDS: Rule[] = [
  [/^uname$/, "uname"],
  [/^uptime$|^w$/, "uptime"],
  [/^dmesg$|^logread$/, "dmesg"],
  [/^journalctl$/, "dmesg"],
  [/^iostat$/, "iostat"],
  [/^mpstat$/, "mpstat"],
  [/^pidstat$/, "pidstat"],
  [/^sar$/, "sar"],
  [/^vmstat$/, (a) => (a.some((x) => /^-\w*[sdDpfm]/.test(x)) ? undefined : "vmstat")],
  [/^free$/, "free"],
  [/^df$/, (a) => (a.some((x) => /^-\w*i/.test(x) || x === "--inodes") ? "df-inodes" : "df")],
  [/^sysctl$/, "sysctl"],
  [/^top$|^htop$/, (a) => (a[0] === "htop" ? undefined : "top")],
  [/^ss$/, ssId],
  [/^netstat$/, netstatId],
  [/^nstat$/, "nstat"],
  [/^ulimit$/, "ulimit"],
  [/^lsof$/, (a) => (a.some((x) => /^\+L1?$/.test(x)) ? "deleted-open-files" : "open-files")],
  [/^iotop$/, "iotop"],
  [
    /^conntrack$/,
    (a) =>
      a.some((x) => /^-\w*S$|^--stats$/.test(x))
        ? "conntrack-stats"
        : a.some((x) => /^-\w*C$|^--count$/.test(x))
          ? "conntrack"
          : undefined,
  ],
  [
    /^ethtool$/,
    (a) => (a.some((x) => /^-\w*S$|^--statistics$/.test(x)) ? "ethtool-stats" : undefined),
  ],
  [/^perf$/, perfId],
  [/^strace$/, "strace"],
  [/^(?:\S*\/)?ras-mc-ctl$/, (a) => (a.includes("--summary") ? "ras-mc-ctl" : undefined)],
  [/^chronyc$/, (a) => (a.includes("tracking") ? "chronyc-tracking" : undefined)],
  // -H health, -A attributes, -a / -x everything; -i alone or -t (a self-test) report no health.
  [
    /^smartctl$/,
    (a) =>
      a.some((x) => /^-\w*[HAax]\w*$|^--(?:health|attributes|all|xall)$/.test(x))
        ? "smartctl"
        : undefined,
  ],
  [/^(?:\S*\/)?runqlat(?:-bpfcc|\.py)?$/, "bcc-runqlat"],
  [/^(?:\S*\/)?biolatency(?:-bpfcc|\.py)?$/, "bcc-biolatency"],
  [/^(?:\S*\/)?tcpretrans(?:-bpfcc|\.py)?$/, "bcc-tcpretrans"],
  [/^(?:\S*\/)?execsnoop(?:-bpfcc|\.py)?$/, "bcc-execsnoop"],
  [/^find$/, (_a, t) => (/\/proc\/\*\/fd/.test(t) ? "deleted-open-files" : undefined)],
];

function ssId(a: string[]): string {
  const flags = a.filter((x) => /^-[a-zA-Z]+$/.test(x)).join("");
  if (/s/.test(flags) || a.includes("--summary")) return "ss-summary";
  if (/l/.test(flags) && !/a/.test(flags)) return "ss-listen";
  return "ss-tcp";
}

function netstatId(a: string[]): string | undefined {
  const flags = a.filter((x) => /^-[a-zA-Z]+$/.test(x)).join("");
  if (/s/.test(flags) || a.includes("--statistics")) return "netstat-s";
  // -g groups, -r routes, -i interfaces, -M masquerade: other tables.
  if (/[griM]/.test(flags)) return undefined;
  if (/[tau]/.test(flags)) return "netstat-conn";
  return undefined;
}

function perfId(a: string[]): string | undefined {
  if (a[1] === "stat") return "perf-stat";
  if (a[1] === "sched" && a.includes("latency")) return "perf-sched";
  if (a[1] === "report") return "perf-report";
  return undefined;
}

/** Splits a command line into words; quotes are honoured, nothing is expanded. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Splits on unquoted `|` (not `||`), and on `&&`, `;` for the glued-command case. */
export function splitOn(text: string, sep: "|" | "&&;"): string[] {
  const parts: string[] = [];
  let quote = "";
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
      cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (sep === "|" && c === "|" && text[i + 1] !== "|" && text[i - 1] !== "|") {
      parts.push(cur);
      cur = "";
    } else if (sep === "&&;" && (c === ";" || (c === "&" && text[i + 1] === "&"))) {
      parts.push(cur);
      cur = "";
      if (c === "&") i++;
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Drops `sudo -u x`, `env A=B`, `time`, `kubectl exec … --` and the like before the command. */
export function unwrap(argv: string[]): string[] {
  const dd = argv.indexOf("--");
  if (dd > 0 && /^(?:kubectl|kex|oc|docker|podman|nsenter|crictl|timeout)$/.test(argv[0]))
    return unwrap(argv.slice(dd + 1));
  if (/^(?:docker|podman)$/.test(argv[0]) && argv[1] === "exec") {
    let i = 2;
    while (i < argv.length && argv[i].startsWith("-")) i++;
    return unwrap(argv.slice(i + 1));
  }
  if (argv[0] === "timeout")
    return unwrap(argv.slice(argv.findIndex((x, i) => i > 0 && !x.startsWith("-")) + 1));
  let i = 0;
  while (i < argv.length && WRAPPERS.test(argv[i])) {
    i++;
    while (i < argv.length && argv[i].startsWith("-")) i += /^-[ug]$/.test(argv[i]) ? 2 : 1;
  }
  return argv.slice(i);
}

/** The collector id of one producing stage, or undefined. */
function idOf(argv: string[], text: string): string | undefined {
  if (argv.length === 0) return undefined;
  const name = argv[0].replace(/^.*\//, "");
  if (/^(?:cat|more|less|head|tail|tac|bat)$/.test(name)) {
    const path = argv.slice(1).find((x) => !x.startsWith("-"));
    return path === undefined ? undefined : match(PATHS, path, [path], text);
  }
  return match(COMMANDS, name, argv, text);
}

function match(rules: Rule[], key: string, argv: string[], text: string): string | undefined {
  for (const [re, to] of rules) {
    if (re.test(key)) return typeof to === "string" ? to : to(argv, text);
  }
  return undefined;
}

/**
 * Recognises one command line as pasted (after its prompt). `cd x && cat memory.stat`
 * is read by its last stage that names a collector.
 */
export function recognise(command: string): Recognised {
  const chain = splitOn(command, "&&;");
  let best: Recognised | undefined;
  for (const part of chain) {
    const r = recognisePipeline(part);
    if (r.id) best = r;
    else best ??= r;
  }
  return best ?? { main: command, filters: [], count: false, partial: false, why: "empty command" };
}

function recognisePipeline(pipeline: string): Recognised {
  const text = pipeline.replace(/\s#(?![^'"]*['"]\s*\|)[^|]*$/, "");
  const stages = splitOn(text, "|");
  let argv = unwrap(words(stages[0] ?? ""));
  const kinds = stages.slice(1).map((s) => stageKind(unwrap(words(s))));
  let partial = kinds.includes("drop");
  // `grep PATTERN FILE` reads FILE and keeps the matching lines; `grep . FILE…` keeps all.
  if (/^(?:e|f|z)?grep$/.test(argv[0] ?? "")) {
    const operands = argv.slice(1).filter((x) => !x.startsWith("-"));
    if (operands.length >= 2 && operands.slice(1).every((x) => x.startsWith("/"))) {
      partial ||= operands[0] !== "." && operands[0] !== "";
      if (argv.some((x) => /^-\w*c/.test(x))) kinds.push("count");
      argv = ["cat", ...operands.slice(1)];
    }
  }
  const id = idOf(argv, text);
  const count = kinds.at(-1) === "count";
  const filters = stages.slice(1).map((s) => s.trim());
  const r: Recognised = { id, main: argv.join(" "), filters, count, partial: partial && !count };
  const transform = kinds.indexOf("transform");
  if (!id) r.why = `no collector reads the output of \`${argv[0] ?? text}\``;
  else if (transform >= 0 && !count) {
    r.why = `its output went through \`${filters[transform]}\`, which changes its lines, not only their number`;
    r.id = undefined;
  } else if (/[{*?]/.test(argv.slice(1).join(" ")) && argv[0] === "cat") {
    r.why =
      "it prints several files glued together without their names; paste them one by one, or use `grep . FILES`";
    r.id = undefined;
  }
  return r;
}

type StageKind = "keep" | "drop" | "transform" | "count";

/**
 * What a filter stage does to the lines: `sort`, `cat`, `column` keep them all; `grep`,
 * `head`, `tail`, `uniq`, `sed -n`, `awk '/re/'` drop some; `cut`, `tr`, `uniq -c`,
 * `awk '{print $6}'`, `sed s///` and anything unknown change them; `wc -l`, `grep -c` count.
 */
function stageKind(argv: string[]): StageKind {
  const [name = "", ...args] = argv;
  const opts = args.filter((x) => x.startsWith("-")).join("");
  if (name === "wc") return /l/.test(opts) ? "count" : "transform";
  if (/^(?:e|f|z)?grep$|^rg$/.test(name))
    return /c/.test(opts) ? "count" : /o/.test(opts) ? "transform" : "drop";
  if (/^(?:sort|cat|less|more|column|tee)$/.test(name)) return "keep";
  if (/^(?:head|tail)$/.test(name)) return "drop";
  if (name === "uniq") return /c/.test(opts) ? "transform" : "drop";
  if (/^(?:g|m)?awk$/.test(name))
    return args.some((x) => /\bprintf?\b/.test(x)) ? "transform" : "drop";
  if (name === "sed") return args.some((x) => /(?:^|;)\s*s(.).*\1/.test(x)) ? "transform" : "drop";
  return "transform";
}

/** True when `word` starts a shell command (for lines behind a bare `# ` or `$ ` prompt). */
export function isShellWord(word: string): boolean {
  const name = word.replace(/^.*\//, "");
  if (SHELL_WORDS.has(name)) return true;
  return COMMANDS.some(([re]) => re.test(name));
}
