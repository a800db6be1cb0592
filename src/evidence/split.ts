import type { CleanLine } from "./clean.js";
import { isShellWord, recognise } from "./commands.js";

/**
 * Splits a cleaned paste into commands and their outputs by the shell prompts in front of the
 * commands. Prompts read (seen in tickets, chats, blogs and mailing lists):
 * `$ `, `# `, `% `, `❯ `, `$cmd` (no blank), `[root@h ~]# `, `[host]$ `, `user@host:~$ `,
 * `root@server [~]# `, `h:~ # ` and `14:20 h:/root # ` (SUSE), `h$ `, `/ $ ` (a working
 * directory only), `(venv) root@h# `, and a prompt cut at its left (`sos_commands]# `).
 * A line without a prompt is a command when it is exactly a recognised collector command
 * followed by output (commands pasted without their prompt).
 *
 * An output ends at the next command, at a closing code fence, or at the end of the text.
 * The host name of a prompt is never used: the report's host is the label it was given.
 */

/** One command and the lines it printed. */
export interface PastedCommand {
  /** The command as typed, after its prompt. */
  command: string;
  /** 1-based line number of the command in the paste. */
  line: number;
  output: CleanLine[];
}

/** Text outside any command (prose, or the whole paste when it has no command). */
export interface Split {
  commands: PastedCommand[];
  /** Runs of lines that belong to no command, e.g. a paste of bare output. */
  loose: CleanLine[][];
}

/** Prompts that name a user, host or directory: what follows is a command, whatever it is. */
const FULL_PROMPT = new RegExp(
  [
    "^(?:\\([^()\\s]{1,60}\\)\\s+)?", // (venv)
    "(?:\\d{1,2}:\\d{2}(?::\\d{2})?\\s+)?", // 14:20 before a SUSE prompt
    "(?:",
    "\\[[^\\][\\n]{1,80}\\]\\s?[$#%>]", // [root@h ~]#  [host]$
    "|[\\w.-]+@[\\w.-]+(?::[^\\s$#]*|\\s+\\[[^\\]]*\\]|\\s+[~/]\\S*)?\\s?[$#%>]", // user@host:~$  root@server [~]#  root@h ~ #
    "|[\\w.-]+:[~/][^\\s]*\\s?[#>$]", // host:~ #
    "|[\\w./~-]*\\]\\s?[#$]", // a prompt cut at its left: sos_commands]#
    ")",
    "\\s?(\\S.*)$",
  ].join(""),
);

/** Prompt characters of zsh themes and starship: what follows is a command. */
const THEME_PROMPT = /^(?:\([^()\s]{1,60}\)\s+)?[❯›➜λ»]\s+(\S.*)$/u;

/** Bare prompts: only a shell word after them makes a command (`# vm tuning` is a comment). */
const BARE_PROMPT =
  /^(?:\([^()\s]{1,60}\)\s+)?(?:[\w.-]{1,40}\s?[$#]|[/~][^\s]*\s[$#]|[$%]|#(?= ))\s?(\S.*)$/u;

/** The command behind a prompt on this line, or undefined. */
export function commandOf(line: string): string | undefined {
  // Markdown's indented code blocks put up to eight blanks before the prompt.
  const text = line.replace(/^\s{1,8}(?=[$#%[(]|[\w.-]+@)/, "");
  const full = FULL_PROMPT.exec(text);
  if (full && !/^[=\-#]+$/.test(full[1])) return full[1].trimEnd();
  const theme = THEME_PROMPT.exec(text);
  if (theme) return theme[1].trimEnd();
  const bare = BARE_PROMPT.exec(text);
  if (!bare) return undefined;
  const first = bare[1].split(/\s/)[0];
  return isShellWord(first) ? bare[1].trimEnd() : undefined;
}

/**
 * A command pasted without a prompt: a line that is a recognised collector command, or a shell
 * command word with an option or a path after it (`vmstat -s`, `lsof -c pd | wc -l`), followed
 * by output (a count may also be followed by a fence). Lines that are output themselves
 * (`top - 22:13:39 up …`) are not commands.
 */
function unpromptedCommand(lines: CleanLine[], i: number): string | undefined {
  const text = lines[i].text.trim();
  if (text.length === 0 || text.length > 300 || lines[i].fence) return undefined;
  if (/^top - \d|load average|^\S+\s+-\s+\d/.test(text)) return undefined;
  const m = /^(?:sudo\s+)?([a-z][\w.-]*)(?:\s+(\S+))?/.exec(text);
  if (!m) return undefined;
  const r = recognise(text);
  const next = lines[i + 1];
  const followed = next !== undefined && !next.fence && next.text.trim() !== "";
  const commented = r.count && /\s#\D{0,20}\d+/.test(text);
  if (!followed && !commented && !(r.count && next?.fence)) return undefined;
  if (r.id) return text;
  return isShellWord(m[1]) && /^[-/]/.test(m[2] ?? "") ? text : undefined;
}

/** Splits cleaned lines into commands with their output, and loose runs of other lines. */
export function splitTranscript(lines: CleanLine[]): Split {
  const commands: PastedCommand[] = [];
  const loose: CleanLine[][] = [];
  let current: PastedCommand | undefined;
  /** A count whose number comes after a fence and a few lines of prose (` ``\n93\n``` `). */
  let awaiting: { command: PastedCommand; left: number } | undefined;
  let run: CleanLine[] = [];
  const endRun = () => {
    if (run.some((l) => l.text.trim() !== "")) loose.push(run);
    run = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.fence) {
      if (current && current.output.length === 0 && recognise(current.command).count)
        awaiting = { command: current, left: 6 };
      current = undefined;
      endRun();
      continue;
    }
    if (awaiting && /^\s*\d+\s*$/.test(l.text)) {
      awaiting.command.output.push(l);
      awaiting = undefined;
      continue;
    }
    if (awaiting && --awaiting.left <= 0) awaiting = undefined;
    const cmd = commandOf(l.text) ?? unpromptedCommand(lines, i);
    if (cmd !== undefined) {
      endRun();
      const command: PastedCommand = { command: cmd, line: l.line, output: [] };
      commands.push(command);
      // `… | wc -l #prints '1738'`: the count is in the comment, what follows is not output.
      current = /\s#\D{0,20}\d+\D{0,3}$/.test(cmd) && recognise(cmd).count ? undefined : command;
    } else if (current) current.output.push(l);
    else run.push(l);
  }
  endRun();
  for (const c of commands) trimBlank(c.output);
  return { commands, loose };
}

function trimBlank(lines: CleanLine[]): void {
  while (lines.length > 0 && lines[lines.length - 1].text.trim() === "") lines.pop();
  while (lines.length > 0 && lines[0].text.trim() === "") lines.shift();
}
