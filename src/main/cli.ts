import { createRequire } from "node:module";
import { Command, CommanderError, Option } from "commander";
import { DiagbotError } from "../model/errors.js";
import { printable } from "../render/printable.js";

/**
 * The `diagbot` command line. Returns the exit code (DESIGN.md "CLI contract"):
 * 0 a report was produced, 1 `parse` found nothing of its format, 2 usage or configuration
 * error, 3 no collector could run or gave usable output, 5 the report was produced but a ticket
 * did not take it.
 * Each verb's module is loaded only when that verb runs, so
 * `diagbot parse` starts without the SSH, Slack or queue libraries.
 */
/** Help of `--window`, the same for `diagnose` and `sweep`. */
const WINDOW_HELP =
  "sampling window in whole seconds: 5, 5s or 1500ms (rounded up to 2 s), 1 s to 60 s";

export async function main(argv: readonly string[]): Promise<number> {
  endQuietlyWhenTheReaderGoes();
  let code = 0;
  const program = new Command("diagbot")
    .description("Incident diagnosis for Linux hosts: sample, match runbooks, rank root causes.")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("diagnose")
    .description("diagnose a host (`local`, an inventory host, or a label with --from)")
    .argument("<target>", "`local`, a host of the inventory, or a label for --from")
    .argument(
      "[symptom]",
      "latency, errors, cpu, memory, disk, network, hang or health (default: health; a replayed bundle: the symptom it was saved with)",
    )
    .option(
      "--from <path>",
      "diagnose evidence instead of collecting: a bundle or sos report folder, a sos report .tar.xz, a pasted transcript or output file, or - for standard input",
    )
    .option(
      "--save <dir>",
      "write the evidence bundle (byte-exact, unredacted; folder 0700, files 0600) here",
    )
    .option("--window <duration>", WINDOW_HELP, "5s")
    .addOption(new Option("--pid <pid>", "scope collectors to this process").conflicts("process"))
    .option("--process <name>", "scope collectors to processes with this name (comm)")
    .option("--deep", "also run intrusive collectors (strace, perf record, perf sched)", false)
    .option("--json", "print the report as JSON", false)
    .option("--verbose", "show every hypothesis, evidence line and fine check", false)
    .option(
      "--no-redact",
      "print secrets as the host shows them (the terminal and --json are redacted by default)",
    )
    .option(
      "--ticket <system:key>",
      "attach the report and bundle to a ticket: jira:OPS-7, github:owner/repo#12, pagerduty:PXXXXXX, webhook:LABEL",
    )
    .action(async (target: string, symptom: string | undefined, opts, command: Command) => {
      const { runDiagnose } = await import("../cli/diagnose.js");
      const { ticketDelivery } = await import("../tickets/delivery.js");
      const given = Object.keys(opts).filter((o) => command.getOptionValueSource(o) === "cli");
      code = await runDiagnose(target, symptom, { ...opts, given }, { ticketDelivery });
    });

  program
    .command("sweep")
    .description("diagnose every host of a group (or all) in-process and list the findings")
    .argument("<target>", "`all`, an inventory group, or one host")
    .option(
      "--symptom <symptom>",
      "latency, errors, cpu, memory, disk, network, hang or health",
      "health",
    )
    .option("--concurrency <n>", "hosts diagnosed at once, 1 to 1000", "50")
    .option("--window <duration>", WINDOW_HELP, "5s")
    .option("--json", "print the sweep as JSON", false)
    .option(
      "--confirm-runs <n>",
      "with DIAGBOT_STATE_DIR: runs a change must hold before it is shown new or resolved, 1 to 10",
      "2",
    )
    .option(
      "--min-confidence <x>",
      "with DIAGBOT_STATE_DIR: findings below this confidence (0 to 1) count as absent",
      "0.5",
    )
    .action(async (target: string, opts) => {
      code = await (await import("../sweeps/command.js")).runSweep(target, opts);
    });

  program
    .command("parse")
    .description("parse one collector's output and print its facts and problems")
    .argument(
      "<collector-id>",
      "a collector id, e.g. iostat, ss-tcp, dmesg (see `diagbot collectors`)",
    )
    .argument("[file]", "the output to read, or - for standard input", "-")
    .option("--json", "print JSON (the default when output is not a terminal)", false)
    .action(async (id: string, file: string, opts) => {
      code = await (await import("../cli/parse.js")).runParse(id, file, opts);
    });

  program
    .command("collectors")
    .description("list the collectors: id, cost class, command")
    .option("--json", "print JSON", false)
    .action(async (opts) => {
      code = (await import("../cli/collectors.js")).runCollectors(opts);
    });

  program
    .command("sudoers")
    .description("print the sudoers drop-in that allows exactly the collectors needing root")
    .option("--user <user>", "the SSH user diagbot logs in as", "diag")
    .action(async (opts) => {
      code = (await import("../cli/collectors.js")).runSudoers(opts);
    });

  serviceCommands(program, (c) => {
    code = c;
  });

  program
    .command("redact")
    .description("replace secrets in a file, standard input or a bundle (a copy in --out)")
    .argument("[path]", "a file, a bundle directory, or - for standard input", "-")
    .option("--out <path>", "where the redacted copy goes (required for a bundle directory)")
    .action(async (path: string, opts) => {
      code = await (await import("../cli/redact.js")).runRedact(path, opts);
    });

  runbooksCommands(program, (c) => {
    code = c;
  });

  try {
    await program.parseAsync(argv as string[]);
    return code;
  } catch (err) {
    return reportError(err);
  }
}

/** The version in package.json (dist/main/cli.js and src/main/cli.ts both sit two levels down). */
function packageVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

/** Prints an error as one or two sentences and returns its exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
    // `diagbot help` asked for it (exit code 0); `diagbot` or `diagbot runbooks` without a
    // command is a usage error: commander prints the usage to stderr with exit code 1.
    if (err.code === "commander.help") return err.exitCode === 0 ? 0 : 2;
    return 2;
  }
  // An aborted signal rejects with its reason, or with a plain AbortError.
  if (err instanceof Error && err.name === "AbortError" && !(err instanceof DiagbotError)) {
    process.stderr.write("diagbot: interrupted: collectors stopped\n");
    return 130;
  }
  if (err instanceof DiagbotError) {
    process.stderr.write(`diagbot: ${printable(err.describe())}\n`);
    return err.kind.exit;
  }
  process.stderr.write(`diagbot: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 70;
}

/** `diagbot runbooks lint|test|coverage`; `done` receives each command's exit code. */
function runbooksCommands(program: Command, done: (code: number) => void): void {
  const runbooks = program.command("runbooks").description("check the runbook library");
  runbooks
    .command("lint")
    .description("validate every runbook: schema, fact paths, thresholds, duplicate ids")
    .option("--dir <dir>", "runbook folder (default: DIAGBOT_RUNBOOKS or the packaged runbooks/)")
    .action(async (opts) => {
      done(await (await import("../cli/runbooks.js")).runRunbooksLint(opts));
    });
  runbooks
    .command("test")
    .description("replay every example bundle and check the expected top category")
    .option("--dir <dir>", "runbook folder (default: DIAGBOT_RUNBOOKS or the packaged runbooks/)")
    .option("--json", "print JSON", false)
    .action(async (opts) => {
      done(await (await import("../cli/runbooks.js")).runRunbooksTest(opts));
    });
  runbooks
    .command("coverage")
    .description("write <dir>/COVERAGE.md: categories against kinds of evidence, rules and tests")
    .option("--dir <dir>", "runbook folder (default: DIAGBOT_RUNBOOKS or the packaged runbooks/)")
    .option("--tests <dir>", "test folder (default: <dir>/../test)")
    .option("--check", "compare with the file instead of writing it; exit 1 when it differs", false)
    .action(async (opts) => {
      done(await (await import("../cli/runbooks.js")).runRunbooksCoverage(opts));
    });
}

/** `diagbot serve|worker|audit|scheduler`: the service's processes and its audit trail. */
function serviceCommands(program: Command, done: (code: number) => void): void {
  program
    .command("serve")
    .description("run the Slack app: Socket Mode with SLACK_APP_TOKEN, or --http on --port")
    .option(
      "--http",
      "receive Slack requests over HTTP at /slack/events (needs SLACK_SIGNING_SECRET)",
      false,
    )
    .option("--port <port>", "HTTP port (default 3000)")
    .option("--host <address>", "HTTP address to listen on (default: every address)")
    .option(
      "--metrics-listen <host:port>",
      "serve Prometheus /metrics and /healthz here, or off (default DIAGBOT_METRICS_LISTEN or 127.0.0.1:9464)",
    )
    .action(async (opts) => {
      done(await (await import("./serve.js")).runServe(opts));
    });

  program
    .command("worker")
    .description("run diagnosis jobs from the queue (Redis: REDIS_URL) until SIGTERM")
    .option(
      "--concurrency <n>",
      "jobs run at once by this process (default DIAGBOT_WORKER_CONCURRENCY or 4)",
    )
    .option("--metrics-port <port>", "serve Prometheus metrics on 127.0.0.1:<port>/metrics")
    .option(
      "--metrics-listen <host:port>",
      "serve Prometheus /metrics and /healthz on this address (default: no metrics listener)",
    )
    .action(async (opts) => {
      done(await (await import("./worker.js")).runWorker(opts));
    });

  program
    .command("audit")
    .description(
      "list the audit trail kept in Redis: who asked what, where, on which host, the decision, and what ran",
    )
    .option("--since <duration>", "how far back: 90s, 30m, 1h, 7d", "1h")
    .option("--user <id>", "only this Slack user id (U012ABCDEF)")
    .option("--host <name>", "only this inventory host")
    .option("--json", "print a JSON array (one object per event) instead of a table", false)
    .addHelpText(
      "after",
      "\nReads <DIAGBOT_REDIS_PREFIX>:audit on REDIS_URL. Events: request, re-run, deep-dive, evidence\n(decision allowed, refused, failed, shown), queued, queue-error, answered (the commands run, their\nexit codes, the run's duration and the bundle's SHA-256), failed. Every field is redacted.\nExit 0, 2 for a bad option, 3 when Redis does not answer.",
    )
    .action(async (opts) => {
      done(await (await import("../cli/audit.js")).runAudit(opts));
    });

  program
    .command("scheduler")
    .description(
      "run the scheduled sweeps of DIAGBOT_SWEEPS and post their digests, until SIGTERM (serve runs it too)",
    )
    .action(async () => {
      done(await (await import("./scheduler.js")).runScheduler());
    });
}

/**
 * `diagbot sweep all --json | head -1`: when the reader of standard output or error goes away,
 * the next write fails with EPIPE (node ignores SIGPIPE). There is no one left to tell, so from
 * then on writes to that stream are dropped quietly (no stack trace on the other stream), the
 * command runs to its end and the process exits with the command's own code (README "Exit
 * codes"), as `set -o pipefail` and `${PIPESTATUS[0]}` expect. Writes made between the failed
 * one and its 'error' event end with ERR_STREAM_DESTROYED, ignored as well.
 */
function endQuietlyWhenTheReaderGoes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") > 0) continue;
    let gone = false;
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (gone) return;
      if (err.code !== "EPIPE") throw err;
      gone = true;
      stream.write = dropWrite;
    });
  }
}

/** A `stream.write` that drops its chunk and reports success to the callback, if any. */
function dropWrite(
  _chunk: unknown,
  encoding?: BufferEncoding | ((err?: Error | null) => void),
  callback?: (err?: Error | null) => void,
): boolean {
  const done = typeof encoding === "function" ? encoding : callback;
  if (done) process.nextTick(done, null);
  return true;
}
