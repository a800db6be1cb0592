import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import {
  DEFAULT_KNOWN_HOSTS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_PORT,
  describeValue,
  type HostConfig,
  type HostEntry,
  isValidAddress,
  type JumpSpec,
} from "./host.js";
import { closestNames } from "./names.js";

/**
 * Turns the entries every reader yields into resolved hosts: defaults applied, `~` and relative
 * paths made absolute, jump chains linked and checked (no unknown strict hop, no hop through a
 * non-SSH host, no cycle).
 */

/** A problem with one entry: fatal for diagbot's own YAML, a warning (host left out) otherwise. */
export interface EntryProblem {
  entry: HostEntry;
  text: string;
}

/** `~` and `~/x` become the home folder; relative paths are taken from `baseDir`. */
function expandPath(value: string, baseDir: string, home: string): string | Error {
  if (value === "~") return home;
  if (value.startsWith("~/")) return resolve(home, value.slice(2));
  if (value.startsWith("~")) {
    return new Error(`only "~" and "~/..." are expanded, got ${describeValue(value)}`);
  }
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

/** One entry without its jump host; undefined when a path cannot be expanded. */
function flatHost(
  e: HostEntry,
  home: string,
  defaultUser: string,
  problems: EntryProblem[],
): HostConfig | undefined {
  const d = e.defaults ?? {};
  const transport = e.transport ?? "ssh";
  const before = problems.length;
  if (e.address === undefined && transport === "ssh" && !isValidAddress(e.name)) {
    problems.push({
      entry: e,
      text: `${e.where}.address: is required (the host name is not a hostname)`,
    });
  }
  if (transport !== "ssh" && e.jump !== undefined) {
    problems.push({
      entry: e,
      text: `${e.where}.jumpHost: a host with transport: ${transport} is not reached through SSH`,
    });
  }
  if (transport === "replay" && e.bundle === undefined) {
    problems.push({ entry: e, text: `${e.where}.bundle: is required for transport: replay` });
  }
  const path = (value: string | undefined, field: string, fromDefaults: boolean) => {
    if (value === undefined) return undefined;
    const out = expandPath(value, e.baseDir, home);
    if (typeof out === "string") return out;
    problems.push({
      entry: e,
      text: `${fromDefaults ? "defaults" : e.where}.${field}: ${out.message}`,
    });
    return undefined;
  };
  const config: HostConfig = {
    name: e.name,
    address: e.address ?? e.name,
    port: e.port ?? d.port ?? DEFAULT_PORT,
    user: e.user ?? d.user ?? defaultUser,
    identityFile: path(
      e.identityFile ?? d.identityFile,
      "identityFile",
      e.identityFile === undefined,
    ),
    knownHosts:
      path(
        e.knownHosts ?? d.knownHosts ?? DEFAULT_KNOWN_HOSTS,
        "knownHosts",
        e.knownHosts === undefined,
      ) ?? "",
    sudo: e.sudo ?? d.sudo ?? false,
    maxSessions: e.maxSessions ?? d.maxSessions ?? DEFAULT_MAX_SESSIONS,
    transport,
    groups: [...new Set(e.groups)],
  };
  if (config.identityFile === undefined) delete config.identityFile;
  if (e.bundle !== undefined) config.bundle = path(e.bundle, "bundle", false);
  return problems.length > before ? undefined : config;
}

/** Problems with a strict (diagbot `jumpHost`) hop. */
function strictHopProblem(
  e: HostEntry,
  hop: JumpSpec,
  flat: ReadonlyMap<string, HostConfig>,
): string | undefined {
  const where = `${e.where}.jumpHost`;
  const target = flat.get(hop.host);
  if (target === undefined) {
    const near = closestNames(hop.host, flat.keys(), 5);
    return `${where}: ${describeValue(hop.host)} is not a host of this inventory${near.length ? ` (closest: ${near.join(", ")})` : ""}`;
  }
  if (hop.host === e.name) return `${where}: a host cannot be its own jump host`;
  if (target.transport !== "ssh") {
    return `${where}: ${describeValue(hop.host)} has transport: ${target.transport} and cannot be a jump host`;
  }
  return undefined;
}

/** The chain of names a host's jump hops lead through, first repeated name included. */
function jumpCycle(start: string, entries: ReadonlyMap<string, HostEntry>): string[] | undefined {
  const seen: string[] = [];
  let cur: string | undefined = start;
  while (cur !== undefined && !seen.includes(cur)) {
    seen.push(cur);
    const hops: JumpSpec[] | undefined = entries.get(cur)?.jump?.hops;
    cur = hops?.at(-1)?.host;
    if (cur !== undefined && !entries.has(cur)) return undefined;
  }
  return cur === undefined ? undefined : [...seen.slice(seen.indexOf(cur)), cur];
}

/** Options for {@link resolveEntries}. */
export interface ResolveEntriesOptions {
  /** Home folder for `~` (default: `os.homedir()`). */
  homeDir?: string;
  /** Login name used when nothing sets `user`. */
  defaultUser: string;
}

/**
 * Resolves entries (names already unique) into hosts in entry order.
 * @returns the hosts, and the problems of the entries left out (a hop naming a host that was
 *   left out is then reached as written).
 */
export function resolveEntries(
  entries: readonly HostEntry[],
  options: ResolveEntriesOptions,
): { hosts: Map<string, HostConfig>; problems: EntryProblem[] } {
  const home = options.homeDir ?? homedir();
  const problems: EntryProblem[] = [];
  const byName = new Map(entries.map((e) => [e.name, e]));
  const flat = new Map<string, HostConfig>();
  for (const e of entries) {
    const config = flatHost(e, home, options.defaultUser, problems);
    if (config) flat.set(e.name, config);
  }
  for (const e of entries) {
    if (!flat.has(e.name) || e.jump === undefined) continue;
    for (const hop of e.jump.hops) {
      const text = e.jump.strict
        ? strictHopProblem(e, hop, flat)
        : hop.host === e.name
          ? `${e.where}: ${describeValue(hop.host)} is its own jump host`
          : undefined;
      if (text) problems.push({ entry: e, text });
    }
  }
  const reported = new Set<string>();
  for (const e of entries) {
    const cycle = jumpCycle(e.name, byName);
    if (!cycle) continue;
    const key = [...new Set(cycle)].sort().join(",");
    if (!reported.has(key)) {
      reported.add(key);
      const first = byName.get(cycle[0])!;
      problems.push({
        entry: first,
        text: `${first.where}.jumpHost: jump cycle ${cycle.join(" -> ")}`,
      });
    }
  }
  for (const p of problems) flat.delete(p.entry.name);

  const resolved = new Map<string, HostConfig>();
  const link = (name: string): HostConfig => {
    const done = resolved.get(name);
    if (done !== undefined) return done;
    const config = flat.get(name)!;
    let via: HostConfig | undefined;
    for (const hop of byName.get(name)?.jump?.hops ?? []) {
      const base = flat.has(hop.host) ? link(hop.host) : hopHost(hop, config, options.defaultUser);
      via = withHop(base, hop, via);
    }
    const out = via === undefined ? config : { ...config, jumpHost: via };
    resolved.set(name, out);
    return out;
  };
  const hosts = new Map<string, HostConfig>();
  for (const name of flat.keys()) hosts.set(name, link(name));
  return { hosts, problems };
}

/** A hop that is not an inventory host: reached as written, pinned like the host it serves. */
function hopHost(hop: JumpSpec, served: HostConfig, defaultUser: string): HostConfig {
  return {
    name: hop.host,
    address: hop.host,
    port: DEFAULT_PORT,
    user: defaultUser,
    knownHosts: served.knownHosts,
    sudo: false,
    maxSessions: DEFAULT_MAX_SESSIONS,
    transport: "ssh",
    groups: [],
  };
}

/** `base` with the hop's own user/port and, for a later hop of a chain, the earlier hop. */
function withHop(base: HostConfig, hop: JumpSpec, via: HostConfig | undefined): HostConfig {
  if (hop.user === undefined && hop.port === undefined && via === undefined) return base;
  const out: HostConfig = { ...base, user: hop.user ?? base.user, port: hop.port ?? base.port };
  if (via) out.jumpHost = via;
  return out;
}
