import type { Access, Rbac } from "../access/rbac.js";
import { allows, maxWindowSeconds } from "../access/rbac.js";
import { closestNames, type HostConfig, type Inventory } from "../inventory/inventory.js";
import type { FindingMuter } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";
import type { DiagnoseRequest } from "../model/request.js";
import type { NarrativeConfig } from "../narrative/index.js";
import type { Auditor } from "../observability/audit.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { RequestLimits } from "../queue/limits.js";
import type { DiagnosisProducer } from "../queue/producer.js";
import type { SlackConfig } from "./config.js";
import type { DiagnosisStarter } from "./diagnosis.js";
import type { UserGroupMembership } from "./membership.js";

/** What `diagbot serve` gives the Slack app. */
export interface SlackAppDeps {
  slack: SlackConfig;
  producer: DiagnosisProducer;
  inventory: () => Promise<Inventory>;
  rbac: Rbac;
  log: Logger;
  metrics: Metrics;
  /** HTTP mode (signatures checked) on this port; otherwise Socket Mode. */
  http?: { port: number; host?: string };
  /** User group lists are fetched again this often, ms (default 5 min). */
  usergroupRefreshMs?: number;
  /** Mutes finding keys of scheduled sweeps (the digest's Mute menus); none: menus answer so. */
  muter?: FindingMuter;
  /** The LLM's settings, for follow-up questions in a diagnosis's thread; absent: none. */
  narrative?: NarrativeConfig;
}

/** What every listener uses: the app's dependencies and its shared services. */
export interface ListenerContext extends SlackAppDeps {
  /** The audit trail: a log line and an entry of the Redis audit stream per decision. */
  audit: Auditor;
  membership: UserGroupMembership;
  starter: DiagnosisStarter;
  /** `DIAGBOT_FOLLOWUP_RATE`: follow-up questions per person and window. */
  followUpLimits: RequestLimits;
}

/** What `user` may do, in `channel`: from RBAC and the cached user group lists (no API call). */
export function accessOf(ctx: ListenerContext, user: string, channel?: string): Access {
  return ctx.rbac.access({ user, channel }, ctx.membership.groupsOf(user));
}

/** The error a request gets when the queue's Redis does not answer. */
export function queueUnavailable(hint: string): DiagbotError {
  return new DiagbotError("connect-failed", "the queue is unavailable (Redis does not answer)", {
    hint,
  });
}

/**
 * Lets a request in, for a command, a button, a shortcut or a modal alike: RBAC for the person
 * (the host, deep, the role's window cap; for pasted evidence {@link checkPasted}), the queue
 * answering, and the person's and channel's rate limits.
 * @returns the person's access, for the audit line
 * @throws DiagbotError naming what refused it
 */
export async function admit(
  ctx: ListenerContext,
  who: { user: string; channel: string },
  request: DiagnoseRequest,
  unavailableHint = "try again in a minute",
): Promise<Access> {
  const access = accessOf(ctx, who.user, who.channel);
  if (request.evidence) checkPasted(ctx.rbac, access, request.deep);
  else
    checkHost(
      ctx.rbac,
      await ctx.inventory(),
      request.host,
      access,
      request.deep,
      request.windowSeconds,
    );
  await letIn(ctx, who, unavailableHint);
  return access;
}

/**
 * Lets pasted evidence in before it is fetched (a shortcut, the paste modal): {@link checkPasted},
 * the queue answering, the rate limits, as {@link admit} does for the request it becomes.
 * @returns the person's access, for the audit line
 * @throws DiagbotError naming what refused it
 */
export async function admitPasted(
  ctx: ListenerContext,
  who: { user: string; channel: string },
): Promise<Access> {
  const access = accessOf(ctx, who.user, who.channel);
  checkPasted(ctx.rbac, access, false);
  await letIn(ctx, who, "try again in a minute");
  return access;
}

/** The queue answering, then the person's and channel's rate limits. */
async function letIn(
  ctx: ListenerContext,
  who: { user: string; channel: string },
  unavailableHint: string,
): Promise<void> {
  if (!ctx.producer.ready) throw queueUnavailable(unavailableHint);
  await ctx.producer.limits.admit(who.user, who.channel);
}

/**
 * May `user` (in `channel`) see a stored diagnosis of `request` (its evidence, a ticket, a
 * follow-up)? As for diagnosing it: the host for a live one, {@link checkPasted} for pasted
 * evidence.
 * @throws DiagbotError as {@link checkHost} and {@link checkPasted} do
 */
export async function checkStored(
  ctx: ListenerContext,
  who: { user: string; channel?: string },
  request: DiagnoseRequest,
): Promise<void> {
  const access = accessOf(ctx, who.user, who.channel);
  if (request.evidence) checkPasted(ctx.rbac, access, false);
  else checkHost(ctx.rbac, await ctx.inventory(), request.host, access, false);
}

/**
 * May `access` diagnose pasted evidence? Only a person whose roles let them diagnose some host
 * (a role with `cheap` and `sampling`): reading a paste runs nothing, so no host group is
 * checked, and a deep dive, which needs a live host, is refused.
 * @throws DiagbotError `usage` saying what to ask an admin
 */
export function checkPasted(rbac: Rbac, access: Access, deep: boolean): void {
  if (
    !access.grants.some(
      (g) => g.costClasses.includes("cheap") && g.costClasses.includes("sampling"),
    )
  )
    throw new DiagbotError("usage", "you may not diagnose anything, pasted evidence included", {
      cause: `no role of ${rbac.source} grants cheap and sampling`,
      hint: "ask an admin to add you to DIAGBOT_RBAC",
    });
  if (deep)
    throw new DiagbotError(
      "usage",
      "a deep dive needs a live host: pasted evidence is already collected",
      {
        hint: "run `/diagnose <host> --deep` on the host the paste came from",
      },
    );
}

/**
 * The host if it exists and `access` may diagnose it, `deep` or not, over `windowSeconds` (when
 * given: a role's `maxWindowSeconds` caps it); otherwise a usage error that names the choices or
 * the cap.
 */
export function checkHost(
  rbac: Rbac,
  inventory: Inventory,
  name: string,
  access: Access,
  deep: boolean,
  windowSeconds?: number,
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
  // A replay host's evidence is a bundle on the machine that holds the inventory, which the
  // queue's workers may not share: said here, before anything is queued.
  if (host.transport === "replay") {
    throw new DiagbotError(
      "usage",
      `\`${name}\` is a replay host: its evidence is a saved bundle`,
      {
        hint: `diagnose it with the CLI where the bundle is: diagbot diagnose ${name}`,
      },
    );
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
  const cap = maxWindowSeconds(access, host, deep);
  if (windowSeconds !== undefined && windowSeconds > cap) {
    throw new DiagbotError(
      "usage",
      `a window of ${windowSeconds} s on \`${name}\` is over your limit of ${cap} s`,
      {
        cause: `over maxWindowSeconds ${cap} of DIAGBOT_RBAC`,
        hint: `ask again with \`--window ${cap}s\` or less, or ask an admin for a role with a larger maxWindowSeconds in DIAGBOT_RBAC`,
      },
    );
  }
  return host;
}
