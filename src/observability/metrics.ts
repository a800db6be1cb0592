import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { DiagbotError } from "../model/errors.js";

/**
 * Prometheus metrics (prom-client), one registry per process, served by {@link serveMetrics} on
 * a listener of their own, never on the port that takes Slack's requests: `diagbot serve` on
 * `DIAGBOT_METRICS_LISTEN` (default {@link DEFAULT_METRICS_LISTEN}, `off` for none), `diagbot
 * worker` with `--metrics-listen HOST:PORT` (or `--metrics-port N` on loopback).
 */
export interface Metrics {
  registry: Registry;
  /** Slash commands and button presses, by outcome (`queued`, `rejected`, `denied`, `error`). */
  requests: Counter<"kind" | "outcome">;
  /** Jobs finished by a worker, by outcome (`ok`, `retry`, `failed`). */
  jobs: Counter<"outcome">;
  /** Seconds from a job's creation to its answer being posted. */
  answerSeconds: Histogram<"symptom">;
  /** Seconds from a request's arrival to its acknowledgement. */
  ackSeconds: Histogram;
  /** Answers posted (`posted`) or skipped because another process already posted (`duplicate`). */
  answers: Counter<"outcome">;
  /** Tokens the LLM narrative and follow-ups used, by kind (`prompt`, `completion`). */
  llmTokens: Counter<"kind">;
  /** LLM answers by outcome (`shown`, `discarded`: failed the checks, `failed`: no answer). */
  llmAnswers: Counter<"outcome">;
}

export function createMetrics(defaults = true): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: "diagbot_" });
  return {
    registry,
    requests: new Counter({
      name: "diagbot_requests_total",
      help: "Slack requests by kind and outcome",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
    jobs: new Counter({
      name: "diagbot_jobs_total",
      help: "Diagnosis jobs finished by this worker, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    answerSeconds: new Histogram({
      name: "diagbot_answer_seconds",
      help: "Seconds from the job's creation to the answer being posted",
      labelNames: ["symptom"],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: "diagbot_ack_seconds",
      help: "Seconds from a slash command's arrival to its acknowledgement",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [registry],
    }),
    answers: new Counter({
      name: "diagbot_answers_total",
      help: "Answers posted, or skipped as already posted by another process",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    llmTokens: new Counter({
      name: "diagbot_llm_tokens_total",
      help: "Tokens used by the LLM narrative and follow-ups, by kind (prompt, completion)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    llmAnswers: new Counter({
      name: "diagbot_llm_answers_total",
      help: "LLM answers shown, discarded by the evidence checks, or failed (timeout, HTTP error)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
  };
}

/** Where a metrics listener binds: an address and a TCP port (0: any free port). */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * The default of `DIAGBOT_METRICS_LISTEN` for `diagbot serve`: loopback only, on the port the
 * OpenTelemetry Prometheus exporter uses by default (9464), so that nothing outside the machine
 * reaches it unless an operator says so.
 */
export const DEFAULT_METRICS_LISTEN = "127.0.0.1:9464";

/**
 * Reads a listen address: `HOST:PORT`, `[IPv6]:PORT`, or `off` (no listener: undefined).
 * `name` is the variable or option it came from, for the message.
 * @throws DiagbotError `config` naming `name` and the value.
 */
export function parseListenAddress(text: string, name: string): ListenAddress | undefined {
  const value = text.trim();
  if (value === "off") return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new DiagbotError(
      "config",
      `${name}=${JSON.stringify(text)}: expected HOST:PORT (such as ${DEFAULT_METRICS_LISTEN}), [IPv6]:PORT, or off`,
    );
  }
  return { host: m[1] ?? m[2], port };
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The port listened on (the one chosen when the address said 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) and `GET /healthz` (`healthy()`: 200 `ok`,
 * else 503) on `address`, apart from any port that takes requests from outside, without
 * authentication: bind it where only the scraper reaches it.
 * @throws DiagbotError `config` naming `name` when the address cannot be listened on (in use,
 *   not an address of this machine).
 */
export async function serveMetrics(
  metrics: Metrics,
  address: ListenAddress,
  name: string,
  healthy: () => boolean = () => true,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/healthz")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    } else if (path === "/healthz") {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(ok ? "ok\n" : "unavailable\n");
    } else {
      void metrics.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
        (err: Error) =>
          res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}\n`),
      );
    }
  });
  return listenOn(server, address, name, "metrics");
}

/**
 * Listens with `server` on `address`; `name` is the option or variable the address came from and
 * `what` what is served, for the message.
 * @throws DiagbotError `config` when the address cannot be listened on (in use, not local).
 */
export async function listenOn(
  server: Server,
  address: ListenAddress,
  name: string,
  what: string,
): Promise<MetricsServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new DiagbotError(
          "config",
          `${name}=${address.host}:${address.port}: cannot listen for ${what} (${err.code ?? err.message})`,
          { hint: `choose another address or port, or set ${name} to off` },
        ),
      ),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address();
  return {
    port: typeof bound === "object" && bound ? bound.port : address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
