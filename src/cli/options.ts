import ms from "ms";
import { PID_MAX, WINDOW_SECONDS } from "../collectors/types.js";
import { PROCESS_NAME } from "../diagnosis/processes.js";
import { SYMPTOMS, type Symptom } from "../diagnosis/report.js";
import { DiagbotError } from "../errors.js";

/**
 * Validation of the `diagnose` options (DESIGN.md "CLI contract"). Each error quotes the bad
 * value and says what is accepted; the CLI exits 2 on them.
 */

/** `5`, `5s` or `1500ms` → whole seconds, 1..60 (rounded up to whole seconds for the tools). */
export function parseWindow(text: string): number {
  let msValue: number | undefined;
  try {
    msValue = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  } catch {
    msValue = undefined;
  }
  if (
    typeof msValue !== "number" ||
    !Number.isFinite(msValue) ||
    msValue < WINDOW_SECONDS.min * 1000 ||
    msValue > WINDOW_SECONDS.max * 1000
  ) {
    const expected = `${WINDOW_SECONDS.min} s to ${WINDOW_SECONDS.max} s`;
    throw new DiagbotError("usage", `--window ${JSON.stringify(text)}: expected ${expected}`, {
      hint: "write it as 5, 5s or 1500ms",
    });
  }
  return Math.ceil(msValue / 1000);
}

export function parseSymptom(text: string | undefined): Symptom {
  if (text === undefined) return "health";
  if ((SYMPTOMS as readonly string[]).includes(text)) return text as Symptom;
  throw new DiagbotError("usage", `unknown symptom ${JSON.stringify(text)}`, {
    hint: `choose one of: ${SYMPTOMS.join(", ")}`,
  });
}

export function parsePid(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > PID_MAX) {
    throw new DiagbotError(
      "usage",
      `--pid ${JSON.stringify(text)}: expected a process id (1 to ${PID_MAX})`,
    );
  }
  return Number(text);
}

export function parseProcessName(text: string): string {
  if (!PROCESS_NAME.test(text)) {
    throw new DiagbotError("usage", `--process ${JSON.stringify(text)}: not a process name`, {
      hint: "a process name (as `ps -o comm` shows it) is 1 to 64 letters, digits or ._:-",
    });
  }
  return text;
}

/** A replay label: `[A-Za-z0-9._-]+`, never looked up in the inventory. */
export function parseLabel(text: string): string {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(text)) {
    throw new DiagbotError(
      "usage",
      `target ${JSON.stringify(text)}: a replay label is letters, digits and ._-`,
    );
  }
  return text;
}
