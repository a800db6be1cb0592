import {
  type DestinationStream,
  destination,
  type Logger as PinoLogger,
  pino,
  stdTimeFunctions,
} from "pino";
import { DiagbotError } from "../model/errors.js";
import { redactDeep, redactText } from "../redact/index.js";

/**
 * Structured logging (pino, JSON lines on stderr). `DIAGBOT_LOG_LEVEL` sets the level
 * (default `info`; `silent` turns it off). Secrets never reach the log: the fields that hold
 * credentials by name are censored by pino's `redact` paths ({@link REDACT_PATHS}), and every
 * other field and the message go through the text redactor (`formatters.log` and
 * `hooks.logMethod`), so a command line, an error from a host or a request text that carries a
 * password is logged with `[REDACTED]` in its place.
 */
export type Logger = PinoLogger;

/** Fields censored whole, wherever a request, header or config object is logged. */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "apiKey",
  "*.apiKey",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "botToken",
  "appToken",
  "signingSecret",
  "*.botToken",
  "*.appToken",
  "*.signingSecret",
  "response_url",
  "*.response_url",
];

/** pino's levels, and `silent`. */
const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * A logger at `DIAGBOT_LOG_LEVEL` (default `info`).
 * @throws DiagbotError `config` when the level is not one of pino's.
 */
export function createLogger(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  dest: DestinationStream = destination({ dest: 2, sync: false }),
): Logger {
  const level = env.DIAGBOT_LOG_LEVEL || "info";
  if (!LEVELS.includes(level)) {
    throw new DiagbotError("config", `DIAGBOT_LOG_LEVEL ${JSON.stringify(level)} is not a level`, {
      hint: `set it to one of ${LEVELS.join(", ")}, or leave it unset for info`,
    });
  }
  return pino(
    {
      name,
      level,
      base: { pid: process.pid, service: name },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      formatters: { log: (object) => redactDeep(object).value },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a) => (typeof a === "string" ? redactText(a).text : a));
          method.apply(this, clean as Parameters<typeof method>);
        },
      },
    },
    dest,
  );
}
