import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { HostConfig } from "../inventory/inventory.js";
import { DiagbotError } from "../model/errors.js";
import { MAX_WINDOW_SECONDS, MIN_WINDOW_SECONDS } from "../model/request.js";

/**
 * Who may diagnose which hosts, and who may run intrusive collectors (DESIGN.md "Security
 * model"). `DIAGBOT_RBAC` names a YAML file:
 *
 * ```yaml
 * roles:
 *   oncall:    { hostGroups: ["*"], costClasses: [cheap, sampling], maxWindowSeconds: 10 }
 *   sre:       { hostGroups: [web, db], costClasses: [cheap, sampling, intrusive] }
 * bindings:
 *   - { role: sre, users: [U012ABCDEF] }          # Slack user ids
 *   - { role: oncall, usergroups: [S0123ABCD] }   # Slack user groups (usergroups:read scope)
 *   - { role: oncall, channels: [C0456GHIJ] }     # anyone asking in these channels
 * default: oncall                                 # everyone else; omit to deny
 * ```
 *
 * A person holds every role bound to them, their user groups, the channel they ask in, and
 * `default`; each role's cost classes apply to that role's host groups only. `"*"` in
 * hostGroups means every host. A diagnosis needs a role with `cheap` and `sampling` for one of
 * the host's groups; a deep one needs `intrusive` in that same role. `maxWindowSeconds` (1 to 60,
 * the bounds of `--window`; omitted: 60) caps the sampling window of that role's requests: a
 * request passes when one role that grants it allows its window. Without a file: everyone may
 * run cheap and sampling collectors on every host, intrusive is denied, and a warning is logged.
 */
export const COST_CLASSES = ["cheap", "sampling", "intrusive"] as const;
export type CostClass = (typeof COST_CLASSES)[number];

const ID = /^[A-Z0-9][A-Z0-9_-]{1,40}$/;
const roleSchema = z
  .object({
    hostGroups: z.array(z.string().min(1)).min(1),
    costClasses: z.array(z.enum(COST_CLASSES)).min(1),
    maxWindowSeconds: z
      .number()
      .int()
      .min(MIN_WINDOW_SECONDS)
      .max(MAX_WINDOW_SECONDS, `at most ${MAX_WINDOW_SECONDS} (the largest --window)`)
      .optional(),
  })
  .strict();
const bindingSchema = z
  .object({
    role: z.string().min(1),
    users: z.array(z.string().regex(ID, "expected a Slack user id such as U012ABCDEF")).optional(),
    usergroups: z
      .array(z.string().regex(ID, "expected a Slack user group id such as S0123ABCD"))
      .optional(),
    channels: z
      .array(z.string().regex(ID, "expected a Slack channel id such as C0456GHIJ"))
      .optional(),
  })
  .strict();
const fileSchema = z
  .object({
    roles: z.record(z.string(), roleSchema),
    bindings: z.array(bindingSchema).default([]),
    default: z.string().optional(),
  })
  .strict();

export type Role = z.infer<typeof roleSchema>;
export type RbacFile = z.infer<typeof fileSchema>;

/** Who asks: a Slack user in a channel. */
export interface Principal {
  user: string;
  channel?: string;
}

/** What one person may do, resolved. */
export interface Access {
  /** Each role's grant: its cost classes apply to its own host groups only. */
  grants: Role[];
  /** Every cost class of any grant (for display). */
  costClasses: Set<CostClass>;
  /** Role names that gave these rights (for the audit log). */
  roles: string[];
}

export interface Rbac {
  /** Source of the rules: the file, or `defaults`. */
  source: string;
  /** Usergroup ids the bindings name (their members are looked up through Slack). */
  usergroups: string[];
  access(who: Principal, groupsOfUser?: readonly string[]): Access;
}

/** The grants of `access` that let it diagnose `host` (`deep`: with intrusive collectors). */
function grantsFor(access: Access, host: Pick<HostConfig, "groups">, deep: boolean): Role[] {
  return access.grants.filter(
    (g) =>
      (g.hostGroups.includes("*") || host.groups.some((h) => g.hostGroups.includes(h))) &&
      g.costClasses.includes("cheap") &&
      g.costClasses.includes("sampling") &&
      (!deep || g.costClasses.includes("intrusive")),
  );
}

/** May `access` diagnose `host` (`deep`: with intrusive collectors)? */
export function allows(access: Access, host: Pick<HostConfig, "groups">, deep: boolean): boolean {
  return grantsFor(access, host, deep).length > 0;
}

/**
 * The longest window, in seconds, that `access` may ask for on `host` (`deep` as for
 * {@link allows}): the largest `maxWindowSeconds` of the roles that grant it, where a role
 * without one allows {@link MAX_WINDOW_SECONDS}. 0 when no role grants it at all.
 */
export function maxWindowSeconds(
  access: Access,
  host: Pick<HostConfig, "groups">,
  deep: boolean,
): number {
  return Math.max(
    0,
    ...grantsFor(access, host, deep).map((g) => g.maxWindowSeconds ?? MAX_WINDOW_SECONDS),
  );
}

/** The defaults: cheap and sampling on every host for everyone; intrusive denied. */
export function defaultRbac(): Rbac {
  const access: Access = {
    grants: [{ hostGroups: ["*"], costClasses: ["cheap", "sampling"] }],
    costClasses: new Set(["cheap", "sampling"]),
    roles: ["(default)"],
  };
  return { source: "defaults", usergroups: [], access: () => access };
}

export function parseRbac(text: string, file: string): Rbac {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new DiagbotError("config", `${file}: not valid YAML: ${doc.errors[0].message}`);
  const raw: unknown = doc.toJS();
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DiagbotError(
      "config",
      `${file}: ${issue.path.join(".") || "(top)"}: ${issue.message}`,
      {
        hint: "see the DIAGBOT_RBAC format in the README (roles, bindings, default)",
      },
    );
  }
  const rules = parsed.data;
  const names = Object.keys(rules.roles);
  const check = (role: string, where: string) => {
    if (!Object.hasOwn(rules.roles, role)) {
      throw new DiagbotError("config", `${file}: ${where}: unknown role ${JSON.stringify(role)}`, {
        hint: `roles defined: ${names.join(", ") || "none"}`,
      });
    }
  };
  for (const [i, b] of rules.bindings.entries()) check(b.role, `bindings.${i}.role`);
  if (rules.default !== undefined) check(rules.default, "default");
  const usergroups = [...new Set(rules.bindings.flatMap((b) => b.usergroups ?? []))];
  return {
    source: file,
    usergroups,
    access(who, groupsOfUser = []) {
      const roles = new Set<string>();
      if (rules.default !== undefined) roles.add(rules.default);
      for (const b of rules.bindings) {
        if (
          b.users?.includes(who.user) ||
          (who.channel !== undefined && b.channels?.includes(who.channel)) ||
          b.usergroups?.some((g) => groupsOfUser.includes(g))
        ) {
          roles.add(b.role);
        }
      }
      const grants = [...roles].map((r) => rules.roles[r]);
      return {
        grants,
        costClasses: new Set(grants.flatMap((g) => g.costClasses)),
        roles: [...roles],
      };
    },
  };
}

/**
 * Loads `DIAGBOT_RBAC`, or the defaults when it is unset (`warn` is called once to say so).
 * @throws DiagbotError `config` naming the file and field.
 */
export async function loadRbac(
  env: NodeJS.ProcessEnv = process.env,
  warn: (msg: string) => void = () => undefined,
): Promise<Rbac> {
  const file = env.DIAGBOT_RBAC;
  if (!file) {
    warn(
      "DIAGBOT_RBAC is not set: everyone may run cheap and sampling collectors on every host; intrusive collectors are denied",
    );
    return defaultRbac();
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new DiagbotError(
      "config",
      `${file}: cannot read the access rules (DIAGBOT_RBAC): ${(err as Error).message}`,
    );
  }
  return parseRbac(text, file);
}
