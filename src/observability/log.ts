import { destination, type Logger as PinoLogger, pino, stdTimeFunctions } from "pino";

/**
 * Structured logging (pino, JSON lines on stderr). `DIAGBOT_LOG_LEVEL` sets the level
 * (default `info`; `silent` turns it off). Secrets never reach the log: requests are logged by
 * their fields (user, host, symptom, options), never by their raw text or tokens.
 */
export type Logger = PinoLogger;

export function createLogger(name: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return pino(
    {
      name,
      level: env.DIAGBOT_LOG_LEVEL || "info",
      base: { pid: process.pid, service: name },
      timestamp: stdTimeFunctions.isoTime,
      redact: {
        paths: ["token", "*.token", "headers.authorization", "*.response_url", "response_url"],
        censor: "[REDACTED]",
      },
    },
    destination({ dest: 2, sync: false }),
  );
}

/**
 * The audit trail: one line per request and per access decision, with `audit: true` so that a
 * log shipper can route them apart. Kept in the same stream as the rest of the log.
 */
export function audit(
  log: Logger,
  event: string,
  fields: Record<string, string | number | boolean | undefined | null | string[]>,
): void {
  log.info({ audit: true, event, ...fields }, event);
}
