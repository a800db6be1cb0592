#!/usr/bin/env node
/**
 * Parse benchmarks: whole commands, timed side by side with Debian's `jc` by hyperfine, and
 * their peak RSS from GNU time. See bench/README.md.
 *
 *   npm run bench                      (or: node bench/run.js [options])
 *   --dir DIR      where the generated inputs and results go ($TMPDIR/diagbot-bench)
 *   --runs N       timed runs per command and round (3); --warmup N warm-up runs (1)
 *   --rounds N     hyperfine runs per input, one after the other (3): the machine's speed
 *                  drifts, so the ratio to jc is taken per round and the median is reported
 *   --only NAME    one input: ss-tuna, iostat-x, ss-tin or dmesg (repeatable)
 *   --no-jc        diagbot alone
 *   --regenerate   write the inputs again even when they exist
 *   -h, --help     the usage
 *
 * Needs a built dist/ (`npm run build`), hyperfine and GNU time (`apt-get install hyperfine
 * time`), and for the comparison `jc` (`apt-get install jc`). Inputs are generated, never
 * committed. Results: a Markdown table on stdout, and results.json + results.md in DIR.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { defaultDir, generate, INPUTS } from "./parse/generate.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "diagbot.js");

/** The inputs, the collector id that reads each, and the jc parser for the same format. */
const CASES = [
  {
    name: "ss-tuna",
    file: "ss-tuna.out",
    id: "ss-tcp",
    jc: "--ss",
    what: "`ss -tuna`, 300 000 sockets",
  },
  {
    name: "iostat-x",
    file: "iostat-x.out",
    id: "iostat",
    jc: "--iostat",
    what: "`iostat -x`, 64 devices x 1500 reports",
  },
  {
    name: "ss-tin",
    file: "ss-tin.out",
    id: "ss-tcp",
    jc: null,
    what: "`ss -tin`, 100 000 sockets with -i lines",
  },
  { name: "dmesg", file: "dmesg.out", id: "dmesg", jc: null, what: "`dmesg`, 1 000 000 lines" },
];

const USAGE = `usage: node bench/run.js [--dir DIR] [--runs N] [--warmup N] [--rounds N]
                         [--only ${CASES.map((c) => c.name).join("|")}]... [--no-jc] [--regenerate]
(see the header of bench/run.js and bench/README.md)
`;

function fail(message) {
  process.stderr.write(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

/** The command line, checked: counts are whole numbers, --only names an input. */
function options(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: "string", default: defaultDir() },
        runs: { type: "string", default: "3" },
        warmup: { type: "string", default: "1" },
        rounds: { type: "string", default: "3" },
        only: { type: "string", multiple: true, default: [] },
        "no-jc": { type: "boolean", default: false },
        regenerate: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    fail(err.message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const count = (name, min) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number >= ${min}`);
    return n;
  };
  const unknown = values.only.filter((name) => !CASES.some((c) => c.name === name));
  if (unknown.length > 0) fail(`--only ${unknown.join(", ")}: no such input`);
  return {
    dir: values.dir,
    runs: count("runs", 1),
    warmup: count("warmup", 0),
    rounds: count("rounds", 1),
    only: values.only,
    jc: !values["no-jc"],
    regenerate: values.regenerate,
  };
}

function have(cmd, args = ["--version"]) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

function version(cmd, args = ["--version"]) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout || r.stderr || "").split("\n")[0].trim();
}

/** Shell-quotes a path for the command lines hyperfine runs through `sh -c`. */
function q(s) {
  return `'${String(s).replaceAll("'", "'\\''")}'`;
}

/** Peak RSS in MB of `sh -c command` (GNU time %M, KiB), the highest of `runs`. */
function peakRss(command, runs) {
  let peak = 0;
  for (let i = 0; i < runs; i++) {
    const r = spawnSync("/usr/bin/time", ["-f", "%M", "sh", "-c", command], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`failed (${r.status}): ${command}\n${r.stderr}`);
    const kib = Number(r.stderr.trim().split("\n").pop());
    peak = Math.max(peak, kib / 1024);
  }
  return peak;
}

function hyperfine(commands, o, exportPath) {
  const args = [
    "--warmup",
    String(o.warmup),
    "--runs",
    String(o.runs),
    "--export-json",
    exportPath,
  ];
  for (const c of commands) args.push("--command-name", c.name, c.cmd);
  execFileSync("hyperfine", args, { stdio: "inherit" });
  return JSON.parse(readFileSync(exportPath, "utf8")).results;
}

const fmt = (x, d = 2) => x.toFixed(d);

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

async function main() {
  const o = options(process.argv.slice(2));
  const loadAtStart = loadavg();
  if (!existsSync(join(ROOT, "dist", "main", "cli.js"))) {
    process.stderr.write("bench: dist/ is not built; run `npm run build` first\n");
    process.exit(2);
  }
  for (const tool of ["hyperfine", "/usr/bin/time"]) {
    if (!have(tool)) {
      process.stderr.write(
        `bench: ${tool} is missing (Debian: apt-get install -y hyperfine time)\n`,
      );
      process.exit(2);
    }
  }
  const jc = o.jc && have("jc");
  if (o.jc && !jc) process.stderr.write("bench: jc not found, timing diagbot alone\n");
  const cases = CASES.filter((c) => o.only.length === 0 || o.only.includes(c.name));
  mkdirSync(o.dir, { recursive: true });
  const missing = cases.filter((c) => o.regenerate || !existsSync(join(o.dir, c.file)));
  if (missing.length > 0) {
    process.stderr.write(
      `bench: generating ${missing.map((c) => c.file).join(", ")} in ${o.dir}\n`,
    );
    await generate(
      o.dir,
      missing.map((c) => c.file).filter((f) => f in INPUTS),
    );
  }

  const results = [];
  // The fixed cost of starting the CLI, on a one-line input.
  const tiny = join(o.dir, "uptime.out");
  writeFileSync(tiny, " 10:00:00 up 1 day,  2:03,  1 user,  load average: 0.10, 0.20, 0.30\n");
  const startupCmd = `node ${q(BIN)} parse uptime ${q(tiny)} --json > /dev/null`;
  const [startup] = hyperfine(
    [{ name: "diagbot parse uptime (1 line)", cmd: startupCmd }],
    o,
    join(o.dir, "hf-startup.json"),
  );
  results.push({
    input: "startup",
    id: "uptime",
    tool: "diagbot",
    bytes: statSync(tiny).size,
    ...pick(startup),
    rss_mb: peakRss(startupCmd, 3),
  });

  for (const c of cases) {
    const file = join(o.dir, c.file);
    const bytes = statSync(file).size;
    const commands = [
      {
        name: `diagbot parse ${c.id}`,
        cmd: `node ${q(BIN)} parse ${c.id} ${q(file)} --json > /dev/null`,
      },
    ];
    if (jc && c.jc)
      commands.push({ name: `jc ${c.jc}`, cmd: `jc ${c.jc} < ${q(file)} > /dev/null` });
    const rounds = [];
    for (let k = 0; k < o.rounds; k++) {
      rounds.push(hyperfine(commands, o, join(o.dir, `hf-${c.name}-${k + 1}.json`)));
    }
    const ratios = rounds.map((r) => (r[1] ? r[1].mean / r[0].mean : undefined));
    commands.forEach((command, i) => {
      results.push({
        input: c.name,
        what: c.what,
        id: c.id,
        tool: i === 0 ? "diagbot" : "jc",
        command: command.cmd,
        bytes,
        ...pooled(rounds.map((r) => r[i])),
        ...(i === 0 && jc && c.jc ? { jc_ratio_by_round: ratios, jc_ratio: median(ratios) } : {}),
        rss_mb: peakRss(command.cmd, 3),
      });
    });
  }

  const machine = {
    date: new Date().toISOString(),
    cpu: `${cpus()[0]?.model ?? "?"} x ${cpus().length}`,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    jc: jc ? version("jc", ["--version"]) : null,
    hyperfine: version("hyperfine"),
    // other work on the machine inflates wall times (the load average counts runnable tasks)
    loadavg_at_start: loadAtStart,
    loadavg_at_end: loadavg(),
  };
  const md = table(results);
  writeFileSync(join(o.dir, "results.json"), `${JSON.stringify({ machine, results }, null, 2)}\n`);
  writeFileSync(join(o.dir, "results.md"), `${md}\n`);
  process.stdout.write(`\n${JSON.stringify(machine)}\n\n${md}\n`);
}

function pick(t) {
  return {
    mean_s: t.mean,
    stddev_s: t.stddev ?? 0,
    min_s: t.min,
    user_s: t.user,
    system_s: t.system,
  };
}

/** One command's hyperfine results of several rounds as one: every run's time pooled. */
function pooled(results) {
  const times = results.flatMap((t) => t.times);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const variance = times.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, times.length - 1);
  const avg = (key) => results.reduce((a, t) => a + t[key], 0) / results.length;
  return {
    mean_s: mean,
    stddev_s: Math.sqrt(variance),
    min_s: Math.min(...times),
    user_s: avg("user"),
    system_s: avg("system"),
    runs: times.length,
  };
}

function median(values) {
  const v = values.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function table(results) {
  const lines = [
    "| input | size | command | wall mean ± sd (s) | min (s) | user + sys (s) | peak RSS (MB) | vs jc (wall / CPU) | vs jc, median of rounds (each round) |",
    "|---|---:|---|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of results) {
    const jcRow = results.find((x) => x.input === r.input && x.tool === "jc");
    const cpu = r.user_s + r.system_s;
    const ratio =
      r.tool === "diagbot" && jcRow
        ? `${fmt(jcRow.mean_s / r.mean_s, 1)}x / ${fmt((jcRow.user_s + jcRow.system_s) / cpu, 1)}x`
        : "";
    const name =
      r.tool === "jc" ? `jc ${CASES.find((c) => c.name === r.input)?.jc}` : `diagbot parse ${r.id}`;
    const rounds =
      r.jc_ratio === undefined
        ? ""
        : `${fmt(r.jc_ratio, 1)}x (${r.jc_ratio_by_round.map((x) => `${fmt(x, 1)}x`).join(", ")})`;
    lines.push(
      `| ${r.input} | ${fmt(r.bytes / 1e6, 1)} MB | ${name} | ${fmt(r.mean_s)} ± ${fmt(r.stddev_s)} | ${fmt(r.min_s)} | ${fmt(cpu)} | ${fmt(r.rss_mb, 0)} | ${ratio} | ${rounds} |`,
    );
  }
  return lines.join("\n");
}

await main();
