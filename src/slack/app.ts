import type { Server } from "node:http";
import { performance } from "node:perf_hooks";
import {
  App,
  type BlockAction,
  type Logger as BoltLogger,
  type ButtonAction,
  HTTPReceiver,
  LogLevel,
  type RespondFn,
  SocketModeReceiver,
} from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { type Access, allows, type Rbac } from "../access/rbac.js";
import { closestNames, type HostConfig, type Inventory } from "../inventory/inventory.js";
import type { ReplyTarget } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";
import type { DiagnoseRequest } from "../model/request.js";
import { audit, type Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import { bundleTarGz, type StoredBundle } from "../queue/bundle.js";
import { deliver } from "../queue/deliver.js";
import type { DiagnosisProducer } from "../queue/producer.js";
import { DIAGNOSIS_ID } from "../queue/types.js";
import { ACTIONS, evidenceText, renderHome, rootText } from "../render/blocks.js";
import { HELP, parseCommandText, USAGE } from "./command.js";
import { type SlackConfig, slackError, webClientOptions } from "./config.js";
import { CANNOT_POST, INVITE_HINT, SlackReplier } from "./replies.js";

/**
 * The Slack app (`diagbot serve`): `/diagnose`, the answer's buttons and the App Home. Every
 * handler acknowledges first (Slack allows 3 s) and works afterwards; everything it checks
 * (syntax, host, access, queue) is in memory or fails fast, so the acknowledgement itself
 * carries the error when there is one.
 */
export interface SlackAppDeps {
  slack: SlackConfig;
  producer: DiagnosisProducer;
  inventory: () => Promise<Inventory>;
  rbac: Rbac;
  log: Logger;
  metrics: Metrics;
  /** HTTP mode (signatures checked) on this port; otherwise Socket Mode. */
  http?: { port: number; host?: string };
}

export interface SlackApp {
  app: App;
  /** Starts the receiver; in HTTP mode resolves to the port listened on. */
  start(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** The slash command's name, as registered by the manifest. */
export const COMMAND = "/diagnose";

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

const ephemeral = (text: string) => ({ response_type: "ephemeral" as const, text });

function describe(err: unknown): string {
  if (err instanceof DiagbotError)
    return err.hint ? `${err.message}. ${capital(err.hint)}.` : `${err.message}.`;
  return `unexpected error: ${(err as Error).message}`;
}

/** An error for the audit log: its message and, when set, its cause. */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return typeof cause === "string"
    ? `${(err as Error).message} (${cause})`
    : (err as Error).message;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { slack, producer, rbac, log, metrics } = deps;
  const logger = boltLogger(log);
  const clientOptions = webClientOptions(slack);
  const routes = [
    {
      path: "/healthz",
      method: ["GET"],
      handler: (_req: unknown, res: import("node:http").ServerResponse) => {
        res.writeHead(producer.ready ? 200 : 503, { "content-type": "text/plain" });
        res.end(producer.ready ? "ok\n" : "queue unavailable\n");
      },
    },
    {
      path: "/metrics",
      method: ["GET"],
      handler: (_req: unknown, res: import("node:http").ServerResponse) => {
        void metrics.registry.metrics().then((body) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(body);
        });
      },
    },
  ];
  const receiver = deps.http
    ? new HTTPReceiver({
        signingSecret: slack.signingSecret ?? "",
        endpoints: "/slack/events",
        customRoutes: routes,
        processBeforeResponse: false,
        logger,
      })
    : new SocketModeReceiver({
        appToken: slack.appToken ?? "",
        logger,
        installerOptions: {
          clientOptions: {
            ...clientOptions,
            retryConfig: { retries: 5, factor: 1.5, minTimeout: 200, maxTimeout: 5000 },
          },
        },
      });
  const app = new App({
    token: slack.botToken,
    receiver,
    logger,
    clientOptions,
    convoStore: false,
    ignoreSelf: true,
  });
  const replierFor = (client: WebClient) => new SlackReplier(client);

  /** User group membership, for RBAC bindings on user groups; cached 5 min. */
  const groupCache = new Map<string, { at: number; members: Set<string> }>();
  async function groupsOf(client: WebClient, user: string): Promise<string[]> {
    const out: string[] = [];
    for (const g of rbac.usergroups) {
      let entry = groupCache.get(g);
      if (!entry || Date.now() - entry.at > 300_000) {
        try {
          const r = await client.usergroups.users.list({ usergroup: g });
          entry = { at: Date.now(), members: new Set(r.users ?? []) };
          groupCache.set(g, entry);
        } catch (err) {
          log.warn(
            { usergroup: g, err: (err as Error).message },
            "cannot list a user group's members",
          );
          continue;
        }
      }
      if (entry.members.has(user)) out.push(g);
    }
    return out;
  }

  async function accessOf(client: WebClient, user: string, channel?: string): Promise<Access> {
    const groups = rbac.usergroups.length ? await groupsOf(client, user) : [];
    return rbac.access({ user, channel }, groups);
  }

  /** The host if it exists and `access` may diagnose it; otherwise a usage error with choices. */
  function checkHost(
    inventory: Inventory,
    name: string,
    access: Access,
    deep: boolean,
  ): HostConfig {
    const host = inventory.hosts.get(name);
    const mayAll = [...inventory.hosts.values()].filter((h) => allows(access, h, false));
    if (!host || !allows(access, host, false)) {
      const near = closestNames(
        name,
        mayAll.map((h) => h.name),
        20,
      );
      // The person sees the same message whether the host is missing or forbidden; the audit
      // log (the error's cause) says which.
      throw new DiagbotError("unknown-host", `unknown host \`${name}\``, {
        cause: host ? "not allowed by DIAGBOT_RBAC" : "not in the inventory",
        hint:
          mayAll.length === 0
            ? "you may not diagnose any host: ask an admin to add you to DIAGBOT_RBAC"
            : near.length
              ? `hosts you may diagnose: ${near.map((n) => `\`${n}\``).join(", ")}`
              : `none of the ${mayAll.length} hosts you may diagnose is named like it`,
      });
    }
    if (deep && !allows(access, host, true)) {
      throw new DiagbotError(
        "usage",
        `deep dives (intrusive collectors: strace, perf record) on \`${name}\` are not allowed for you`,
        {
          hint:
            rbac.source === "defaults"
              ? "intrusive collectors are denied unless DIAGBOT_RBAC grants them"
              : "ask an admin for a role with `intrusive` in DIAGBOT_RBAC",
        },
      );
    }
    return host;
  }

  /**
   * After the acknowledgement: the root message, the job, and the answer if the run it joined
   * is already over. `threadTs` is set when a button asked from inside a thread.
   */
  async function startDiagnosis(
    client: WebClient,
    request: DiagnoseRequest,
    who: { user: string; channel: string; responseUrl?: string; threadTs?: string },
    respond: RespondFn | undefined,
  ): Promise<void> {
    let target: ReplyTarget = {
      user: who.user,
      channel: who.channel,
      responseUrl: who.responseUrl,
    };
    const queued = rootText(request, { phase: "queued" });
    try {
      const root = await client.chat.postMessage({
        channel: who.channel,
        text: queued,
        thread_ts: who.threadTs,
      });
      target = { ...target, ts: root.ts, threadTs: who.threadTs ?? root.ts };
    } catch (err) {
      const code = slackError(err);
      if (!CANNOT_POST.has(code ?? "") || !respond) {
        log.error(
          { err: (err as Error).message, channel: who.channel },
          "cannot post the root message",
        );
        await respond?.(
          ephemeral(`:warning: cannot post in this channel (${code ?? (err as Error).message}).`),
        ).catch(() => undefined);
        return;
      }
      await respond({
        response_type: "in_channel",
        text: `${queued}\n:information_source: ${INVITE_HINT}`,
      });
    }
    try {
      const submitted = await producer.submit(request, who.user, target);
      audit(log, "queued", {
        user: who.user,
        channel: who.channel,
        host: request.host,
        jobId: submitted.jobId,
        joined: submitted.joined,
      });
      metrics.requests.inc({ kind: "diagnose", outcome: "queued" });
      if (submitted.finished) {
        await deliver(producer.store, replierFor(client), submitted.finished, [target], {
          request,
          log,
          metrics,
        });
      } else if (submitted.joined === 1) {
        watchUnclaimed(client, submitted.jobId);
      }
    } catch (err) {
      metrics.requests.inc({ kind: "diagnose", outcome: "error" });
      audit(log, "queue-error", {
        user: who.user,
        host: request.host,
        error: (err as Error).message,
      });
      const text = `:warning: ${describe(err)}`;
      if (target.ts)
        await client.chat
          .update({
            channel: who.channel,
            ts: target.ts,
            text: rootText(request, { phase: "failed", error: (err as Error).message }),
          })
          .catch(() => undefined);
      if (respond) await respond(ephemeral(text)).catch(() => undefined);
      else
        await client.chat
          .postEphemeral({ channel: who.channel, user: who.user, text })
          .catch(() => undefined);
    }
  }

  /** A job nobody takes (no worker running) ends with a message instead of a silent thread. */
  const timers = new Set<NodeJS.Timeout>();
  function watchUnclaimed(client: WebClient, jobId: string): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void (async () => {
        const ended = await producer.endIfUnclaimed(jobId);
        if (!ended) return;
        log.error(
          { jobId, diagnosisId: ended.outcome.diagnosisId },
          "no worker took the job: ended it",
        );
        await deliver(producer.store, replierFor(client), ended.outcome, ended.targets, {
          request: ended.request,
          log,
          metrics,
        });
      })().catch((err) =>
        log.warn({ jobId, err: (err as Error).message }, "checking an unclaimed job failed"),
      );
    }, producer.config.unclaimedMs);
    timer.unref();
    timers.add(timer);
  }

  app.command(COMMAND, async ({ command, ack, respond, client }) => {
    const t0 = performance.now();
    const who = { user: command.user_id, channel: command.channel_id };
    const acked = async (body?: { response_type: "ephemeral"; text: string }) => {
      await ack(body);
      metrics.ackSeconds.observe((performance.now() - t0) / 1000);
    };
    let request: DiagnoseRequest;
    try {
      const parsed = parseCommandText(command.text ?? "");
      if (parsed.kind === "help") {
        await acked(ephemeral(HELP));
        return;
      }
      request = parsed.request;
      const [inventory, access] = await Promise.all([
        deps.inventory(),
        accessOf(client, who.user, who.channel),
      ]);
      checkHost(inventory, request.host, access, request.deep);
      if (!producer.ready)
        throw new DiagbotError(
          "connect-failed",
          "the queue is unavailable (Redis does not answer)",
          { hint: "try again in a minute; if it persists, tell the bot's admins" },
        );
      audit(log, "request", {
        user: who.user,
        channel: who.channel,
        host: request.host,
        symptom: request.symptom,
        deep: request.deep,
        window: request.windowSeconds,
        pid: request.pid,
        process: request.process,
        roles: access.roles,
        decision: "allowed",
      });
    } catch (err) {
      const outcome =
        err instanceof DiagbotError && err.code === "connect-failed" ? "error" : "rejected";
      metrics.requests.inc({ kind: "diagnose", outcome });
      audit(log, "request", {
        user: who.user,
        channel: who.channel,
        text: (command.text ?? "").slice(0, 200),
        decision: outcome,
        reason: reasonOf(err),
      });
      await acked(
        ephemeral(
          `:warning: ${describe(err)}${outcome === "rejected" ? `\nUsage: \`${USAGE}\`` : ""}`,
        ),
      );
      return;
    }
    await acked();
    await startDiagnosis(client, request, { ...who, responseUrl: command.response_url }, respond);
  });

  /** Re-run and Deep dive: the stored request again, answered in the same thread. */
  const again = (deep: boolean) =>
    app.action<BlockAction<ButtonAction>>(
      deep ? ACTIONS.deep : ACTIONS.rerun,
      async ({ ack, body, action, respond, client }) => {
        await ack();
        const user = body.user.id;
        const channel = body.channel?.id ?? body.container?.channel_id;
        const kind = deep ? "deep-dive" : "re-run";
        if (!channel || !DIAGNOSIS_ID.test(action.value ?? "")) {
          await respond(ephemeral(":warning: this button does not name a diagnosis.")).catch(
            () => undefined,
          );
          return;
        }
        try {
          const result = await producer.store.loadResult(action.value!);
          if (!result)
            throw new DiagbotError("usage", "this diagnosis has expired from the store", {
              hint: "run `/diagnose` again",
            });
          const request: DiagnoseRequest = { ...result.request, deep: deep || result.request.deep };
          const [inventory, access] = await Promise.all([
            deps.inventory(),
            accessOf(client, user, channel),
          ]);
          checkHost(inventory, request.host, access, request.deep);
          if (!producer.ready)
            throw new DiagbotError(
              "connect-failed",
              "the queue is unavailable (Redis does not answer)",
              { hint: "try again in a minute" },
            );
          audit(log, kind, {
            user,
            channel,
            host: request.host,
            symptom: request.symptom,
            deep: request.deep,
            from: action.value,
            roles: access.roles,
            decision: "allowed",
          });
          metrics.requests.inc({ kind, outcome: "queued" });
          const threadTs = body.message?.thread_ts ?? body.message?.ts;
          await startDiagnosis(
            client,
            request,
            { user, channel, responseUrl: body.response_url, threadTs },
            respond,
          );
        } catch (err) {
          metrics.requests.inc({ kind, outcome: "rejected" });
          audit(log, kind, {
            user,
            channel,
            from: action.value,
            decision: "rejected",
            reason: reasonOf(err),
          });
          await respond({
            ...ephemeral(`:warning: ${describe(err)}`),
            replace_original: false,
          }).catch(() => undefined);
        }
      },
    );
  again(false);
  again(true);

  app.action<BlockAction<ButtonAction>>(
    ACTIONS.evidence,
    async ({ ack, body, action, respond, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const id = action.value ?? "";
      try {
        if (!channel || !DIAGNOSIS_ID.test(id))
          throw new DiagbotError("usage", "this button does not name a diagnosis");
        const [result, bundle] = await Promise.all([
          producer.store.loadResult(id),
          producer.store.loadBundle<StoredBundle>(id),
        ]);
        if (!result || !bundle)
          throw new DiagbotError(
            "usage",
            "the evidence of this diagnosis has expired or was over the size cap",
            { hint: "run `/diagnose` again" },
          );
        const [inventory, access] = await Promise.all([
          deps.inventory(),
          accessOf(client, user, channel),
        ]);
        checkHost(inventory, result.request.host, access, false);
        audit(log, "evidence", {
          user,
          channel,
          diagnosisId: id,
          host: result.request.host,
          decision: "allowed",
        });
        const outputs: Record<string, string> = {};
        for (const [name, text] of Object.entries(bundle.files))
          if (name !== "bundle.json") outputs[name] = text;
        const folder = `diagbot-${result.request.host}-${id}`;
        await client.files.uploadV2({
          channel_id: channel,
          thread_ts: body.message?.thread_ts ?? body.message?.ts,
          initial_comment: `Evidence of \`${id}\` (${result.request.host}, ${result.request.symptom}), asked by <@${user}>${result.redactions ? `; ${result.redactions} secrets redacted` : ""}. The .tar.gz replays with \`diagbot diagnose ${result.request.host} --from ${folder}\`.`,
          file_uploads: [
            {
              file: Buffer.from(evidenceText(result.report, outputs, id)),
              filename: `${folder}.txt`,
              title: `evidence ${result.request.host} ${id}`,
            },
            {
              file: await bundleTarGz(bundle, folder),
              filename: `${folder}.tar.gz`,
              title: `bundle ${result.request.host} ${id}`,
            },
          ],
        });
        metrics.requests.inc({ kind: "evidence", outcome: "posted" });
      } catch (err) {
        metrics.requests.inc({ kind: "evidence", outcome: "rejected" });
        const code = slackError(err);
        const text =
          code && CANNOT_POST.has(code)
            ? `:warning: cannot upload here (${code}): ${INVITE_HINT}.`
            : `:warning: ${describe(err)}`;
        audit(log, "evidence", {
          user,
          channel,
          diagnosisId: id,
          decision: "rejected",
          reason: reasonOf(err),
        });
        await respond({ ...ephemeral(text), replace_original: false }).catch(() => undefined);
      }
    },
  );

  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    try {
      const [entries, inventory, access] = await Promise.all([
        producer.store.recent(50),
        deps.inventory(),
        accessOf(client, event.user),
      ]);
      const visible = entries.filter((e) => {
        const host = inventory.hosts.get(e.host);
        return host !== undefined && allows(access, host, false);
      });
      await client.views.publish({
        user_id: event.user,
        view: renderHome(visible, { canDeep: access.costClasses.has("intrusive") }) as never,
      });
    } catch (err) {
      log.warn({ err: (err as Error).message, user: event.user }, "cannot publish the App Home");
    }
  });

  app.error(async (err) => {
    log.error({ err: err.message }, "slack handler error");
  });

  let server: Server | undefined;
  return {
    app,
    async start() {
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
      for (const t of timers) clearTimeout(t);
      await app.stop().catch(() => undefined);
    },
  };
}
