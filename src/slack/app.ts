import type { Server, ServerResponse } from "node:http";
import {
  App,
  type Logger as BoltLogger,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
} from "@slack/bolt";
import { DiagbotError } from "../model/errors.js";
import { auditor } from "../observability/audit.js";
import type { Logger } from "../observability/log.js";
import { auditStreamOf } from "../queue/config.js";
import { RequestLimits } from "../queue/limits.js";
import type { DiagnosisProducer } from "../queue/producer.js";
import { webClientOptions } from "./config.js";
import type { ListenerContext, SlackAppDeps } from "./context.js";
import { DiagnosisStarter } from "./diagnosis.js";
import { registerListeners } from "./listeners/index.js";
import { UserGroupMembership } from "./membership.js";
import { guardRequests } from "./request-guard.js";

/**
 * The Slack app (`diagbot serve`): `/diagnose`, the answer's buttons, the App Home, and pasted
 * evidence (the *Diagnose this output* shortcut, `/diagnose paste`'s modal), one listener per
 * file under listeners/. Every listener acknowledges first (Slack allows 3 s) and
 * works afterwards; everything checked before the acknowledgement is in memory (user group
 * lists are refreshed in the background, see membership.ts) or fails fast.
 */
export interface SlackApp {
  app: App;
  /** Starts the receiver; in HTTP mode resolves to the port listened on. */
  start(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** How long `start()` waits for the first user group lists before serving anyway, ms. */
const FIRST_MEMBERSHIP_WAIT_MS = 2000;

/** Bolt's logger interface over pino. */
function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: "bolt" });
  let level = LogLevel.WARN;
  return {
    debug: (...m) => child.debug(m.join(" ")),
    info: (...m) => child.info(m.join(" ")),
    warn: (...m) => child.warn(m.join(" ")),
    error: (...m) =>
      child.error(m.map((x) => (x instanceof Error ? x.message : String(x))).join(" ")),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * `/healthz` (the queue's Redis answers), in HTTP mode. Metrics are not served here: they have a
 * listener of their own (observability/metrics.ts `serveMetrics`), which `main/serve.ts` starts.
 */
function routes(producer: DiagnosisProducer) {
  return [
    {
      path: "/healthz",
      method: ["GET"],
      handler: (_req: unknown, res: ServerResponse) => {
        res.writeHead(producer.ready ? 200 : 503, { "content-type": "text/plain" });
        res.end(producer.ready ? "ok\n" : "queue unavailable\n");
      },
    },
  ];
}

const EVENTS_PATH = "/slack/events";

function receiverOf(deps: SlackAppDeps, logger: BoltLogger): HTTPReceiver | SocketModeReceiver {
  const { slack } = deps;
  if (deps.http) {
    const receiver = new HTTPReceiver({
      signingSecret: slack.signingSecret ?? "",
      endpoints: EVENTS_PATH,
      customRoutes: routes(deps.producer),
      processBeforeResponse: false,
      logger,
    });
    receiver.requestListener = guardRequests(receiver.requestListener, {
      signingSecret: slack.signingSecret ?? "",
      redis: deps.producer.redis,
      prefix: deps.producer.config.prefix,
      log: deps.log,
      endpoint: EVENTS_PATH,
    });
    return receiver;
  }
  return new SocketModeReceiver({
    appToken: slack.appToken ?? "",
    logger,
    installerOptions: {
      clientOptions: {
        ...webClientOptions(slack),
        retryConfig: { retries: 5, factor: 1.5, minTimeout: 200, maxTimeout: 5000 },
      },
    },
  });
}

export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { slack, producer, rbac, log, metrics } = deps;
  const logger = boltLogger(log);
  const receiver = receiverOf(deps, logger);
  const app = new App({
    token: slack.botToken,
    receiver,
    logger,
    // Its auth.test is awaited in start(), where a refused token is an error to report, not a
    // promise rejected in the constructor with no one to catch it.
    deferInitialization: true,
    clientOptions: webClientOptions(slack),
    convoStore: false,
    ignoreSelf: true,
  });
  const audit = auditor(log, auditStreamOf(producer.redis, producer.config));
  const ctx: ListenerContext = {
    ...deps,
    audit,
    membership: new UserGroupMembership(app.client, rbac.usergroups, log, deps.usergroupRefreshMs),
    starter: new DiagnosisStarter(producer, log, metrics, audit),
    followUpLimits: RequestLimits.followUps(producer.redis, producer.config),
  };
  registerListeners(app, ctx);
  app.error(async (err) => {
    log.error({ err: err.message }, "slack handler error");
  });

  let server: Server | undefined;
  return {
    app,
    async start() {
      await app.init().catch((err: unknown) => {
        throw slackInitError(err, slack.apiUrl);
      });
      await ctx.membership.start(FIRST_MEMBERSHIP_WAIT_MS);
      if (deps.http) {
        server = (await (receiver as HTTPReceiver).start({
          port: deps.http.port,
          host: deps.http.host,
        })) as Server;
        const address = server.address();
        return typeof address === "object" && address ? address.port : deps.http.port;
      }
      await app.start();
      return undefined;
    },
    async stop() {
      ctx.membership.stop();
      ctx.starter.stop();
      await app.stop().catch(() => undefined);
    },
  };
}

/**
 * Why the bot token's auth.test failed at start: refused by Slack (`invalid_auth`,
 * `account_inactive`, ...: a setting to fix, exit 2), or Slack not reached (exit 3).
 */
function slackInitError(err: unknown, apiUrl: string): DiagbotError {
  const e = err as { code?: string; data?: { error?: string }; message?: string };
  if (e.code === "slack_webapi_platform_error") {
    return new DiagbotError("config", `SLACK_BOT_TOKEN was refused by Slack: ${e.data?.error}`, {
      hint: "set the bot token (xoxb-...) of the app's installation in the workspace, from the app's OAuth & Permissions page",
      cause: err,
    });
  }
  return new DiagbotError("connect-failed", `cannot reach Slack at ${apiUrl}: ${e.message}`, {
    hint: "check this machine's way out to Slack (proxy, firewall, DNS), or SLACK_API_URL",
    cause: err,
  });
}
