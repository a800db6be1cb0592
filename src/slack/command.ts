import { parseArgs } from "node:util";
import { DiagbotError } from "../model/errors.js";
import { SYMPTOMS } from "../model/report.js";
import {
  type DiagnoseRequest,
  HOST_NAME,
  parseDiagnoseOptions,
  parseTicket,
} from "../model/request.js";

/**
 * The `/diagnose` command line: `<host> [symptom] [--pid N | --process NAME] [--deep]
 * [--window 5s] [--ticket SYSTEM:KEY]`, `paste` (the paste modal) or `help`. Parsed with Node's own argument parser (`util.parseArgs`,
 * strict: unknown options are errors); values are validated by the request schema every door uses (src/model/request.ts).
 */
export type ParsedCommand =
  | { kind: "help" }
  /** `paste`: the paste modal (evidence pasted or attached instead of a host). */
  | { kind: "paste" }
  /** `ticket`: canonical `SYSTEM:KEY`, the requester's own (not part of the shared run). */
  | { kind: "diagnose"; request: DiagnoseRequest; ticket?: string };

export const USAGE =
  "/diagnose <host> [symptom] [--pid N | --process NAME] [--deep] [--window 5s] [--ticket SYSTEM:KEY], or /diagnose paste";

export const HELP = [
  `*Usage:* \`${USAGE}\``,
  `• *symptom*: ${SYMPTOMS.map((s) => `\`${s}\``).join(", ")} (default \`health\`)`,
  "• `--window 5s`: sampling window, 1 s to 60 s (`5`, `5s`, `1500ms`)",
  '• `--pid N` or `--process NAME`: scope the per-process collectors (quote a name with spaces: `--process "Web Content"`)',
  "• `--deep`: also run intrusive collectors (strace, perf record), if you are allowed to",
  "• `--ticket SYSTEM:KEY`: attach the evidence once answered: `jira:OPS-7`, `github:owner/repo#12`, `pagerduty:PXXXXXX`, `webhook:LABEL`",
  "• `/diagnose paste`: attach or paste a terminal transcript (`$ df -h` and its output) to diagnose instead of a host; nothing in it is run (a host named paste: `/diagnose paste health`). On any message: *Diagnose this output* in its ⋮ menu",
  "Example: `/diagnose host-42 latency --window 10s`",
].join("\n");

const OPTIONS = "--pid N, --process NAME, --deep, --window 5s, --ticket SYSTEM:KEY";

/**
 * Slack clients turn `--` into an em dash and quotes into curly ones; undo that so that
 * `—deep` means `--deep` and `“Web Content”` is a quoted word.
 */
export function normaliseText(text: string): string {
  return text
    .replace(/[\u2014\u2015]/g, "--")
    .replace(/(^|\s)[\u2013\u2012](?=[a-z])/g, "$1--")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\u00a0/g, " ")
    .trim();
}

/**
 * Words of a command line: split at spaces, except inside double or single quotes, which are
 * taken off (`--process "Web Content"` → `--process`, `Web Content`). Nothing is expanded:
 * the words are only ever compared, never given to a shell.
 * @throws DiagbotError `usage` for a quote left open.
 */
export function words(text: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= "";
    } else if (/\s/.test(ch)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else word = (word ?? "") + ch;
  }
  if (quote !== undefined) {
    throw new DiagbotError(
      "usage",
      `a ${quote === '"' ? "double" : "single"} quote is not closed`,
      {
        hint: 'quote a name with spaces whole: --process "Web Content"',
      },
    );
  }
  if (word !== undefined) out.push(word);
  return out;
}

/**
 * @throws DiagbotError `usage` naming what is wrong and the valid choices.
 */
export function parseCommandText(text: string): ParsedCommand {
  const args = words(normaliseText(text));
  if (args.length === 0 || (args.length === 1 && /^(help|-h|--help|\?)$/i.test(args[0])))
    return { kind: "help" };
  if (args.length === 1 && args[0].toLowerCase() === "paste") return { kind: "paste" };
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof spec; allowPositionals: true; strict: true }>
  >;
  const spec = {
    pid: { type: "string" },
    process: { type: "string" },
    deep: { type: "boolean" },
    window: { type: "string" },
    ticket: { type: "string" },
    help: { type: "boolean", short: "h" },
  } as const;
  try {
    parsed = parseArgs({ args, options: spec, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const m = /'(-{1,2}[^']*)'/.exec((err as Error).message);
    const opt = m ? m[1].replace(/\s.*$/, "") : undefined;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new DiagbotError("usage", `unknown option ${opt ?? ""}`.trim(), {
        hint: `options: ${OPTIONS}`,
      });
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new DiagbotError("usage", `option ${opt ?? ""} needs a value`.replace(/\s+/, " "), {
        hint: `options: ${OPTIONS}`,
      });
    }
    throw new DiagbotError("usage", (err as Error).message.split("\n")[0], {
      hint: `usage: ${USAGE}`,
    });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  const [host, symptomText, ...extra] = positionals;
  if (!host)
    throw new DiagbotError("usage", "name a host to diagnose", { hint: `usage: ${USAGE}` });
  if (extra.length > 0) {
    throw new DiagbotError(
      "usage",
      `unexpected ${JSON.stringify(extra[0])}: one host and at most one symptom`,
      { hint: `usage: ${USAGE}` },
    );
  }
  if (!HOST_NAME.test(host)) {
    throw new DiagbotError("usage", `${JSON.stringify(host.slice(0, 80))} is not a host name`, {
      hint: `usage: ${USAGE}`,
    });
  }
  if (values.pid !== undefined && values.process !== undefined) {
    throw new DiagbotError("usage", "--pid and --process cannot be used together", {
      hint: "scope by one process id or by one name",
    });
  }
  const request: DiagnoseRequest = {
    host,
    ...parseDiagnoseOptions({
      symptom: symptomText,
      window: values.window ?? "5s",
      pid: values.pid,
      process: values.process,
      deep: values.deep ?? false,
    }),
  };
  const ticket = values.ticket === undefined ? undefined : parseTicket(values.ticket);
  return { kind: "diagnose", request, ...(ticket ? { ticket } : {}) };
}
