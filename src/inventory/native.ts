import { parseDocument } from "yaml";
import { z } from "zod";
import { capped, yamlSyntax } from "../parsers/text.js";
import {
  ADDRESS_MSG,
  configError,
  describeValue,
  GROUP_MSG,
  type HostEntry,
  isValidAddress,
  LOCAL_TARGET,
  MAX_SESSIONS_LIMIT,
  NAME_MSG,
  NAME_RE,
  USER_MSG,
  USER_RE,
} from "./host.js";

/**
 * diagbot's own inventory YAML (DESIGN.md "Inventory"): `defaults` and `hosts` by name.
 * Unknown keys are rejected and every value is checked, so a bad file fails before any
 * connection, with a message naming the file, the host and the field.
 */

const PORT_MSG = "expected a number from 1 to 65535";
const SESSIONS_MSG = `expected a whole number from 1 to ${MAX_SESSIONS_LIMIT}`;
const BOOL_MSG = "expected true or false";
const PATH_MSG = "expected a file path";
const TRANSPORT_MSG = 'expected "ssh", "local" or "replay"';

const numberIn = (min: number, max: number, message: string) =>
  z
    .number({ invalid_type_error: message })
    .int({ message })
    .min(min, { message })
    .max(max, { message });

const pathField = z.string({ invalid_type_error: PATH_MSG }).min(1, { message: PATH_MSG });

const commonFields = {
  user: z.string({ invalid_type_error: USER_MSG }).regex(USER_RE, { message: USER_MSG }),
  port: numberIn(1, 65535, PORT_MSG),
  identityFile: pathField,
  knownHosts: pathField,
  sudo: z.boolean({ invalid_type_error: BOOL_MSG }),
  maxSessions: numberIn(1, MAX_SESSIONS_LIMIT, SESSIONS_MSG),
};

const defaultsSchema = z.object(commonFields).partial().strict();

const hostSchema = z
  .object({
    ...commonFields,
    address: z
      .string({ invalid_type_error: ADDRESS_MSG })
      .refine(isValidAddress, { message: ADDRESS_MSG }),
    groups: z.array(
      z.string({ invalid_type_error: GROUP_MSG }).regex(NAME_RE, { message: GROUP_MSG }),
      { invalid_type_error: "expected a list of group names" },
    ),
    jumpHost: z.string({ invalid_type_error: NAME_MSG }).regex(NAME_RE, { message: NAME_MSG }),
    transport: z.enum(["ssh", "local", "replay"], {
      errorMap: () => ({ message: TRANSPORT_MSG }),
    }),
    bundle: pathField,
  })
  .partial()
  .strict();

const fileSchema = z
  .object({
    defaults: defaultsSchema.nullable().optional(),
    hosts: z.record(z.string(), hostSchema.nullable()).nullable().optional(),
  })
  .strict();

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** `hosts.db-1.port`; a key that is not a plain name is quoted: `hosts["web 1"]`. */
function pathText(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(top level)";
  let out = "";
  for (const key of path) {
    const k = String(key);
    if (/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(k)) out += out === "" ? k : `.${k}`;
    else out += `[${describeValue(k)}]`;
  }
  return out;
}

function zodIssueText(issue: z.ZodIssue, raw: unknown): string {
  const where = pathText(issue.path);
  if (issue.code === "unrecognized_keys") {
    const known =
      issue.path.length === 0
        ? "defaults, hosts"
        : issue.path[0] === "defaults"
          ? Object.keys(commonFields).join(", ")
          : Object.keys(hostSchema.shape).join(", ");
    const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
    return `${where}: unknown field${issue.keys.length > 1 ? "s" : ""} ${keys} (known: ${known})`;
  }
  const value = valueAt(raw, issue.path);
  if (issue.code === "invalid_type" && value === undefined) return `${where}: is required`;
  let message = issue.message;
  if (issue.code === "invalid_type" && issue.expected === "object") {
    message = "expected a mapping of fields";
  }
  return `${where}: ${message}, got ${describeValue(value)}`;
}

/**
 * YAML text to plain data, with aliases limited (an alias bomb fails here).
 * @throws DiagbotError `config` for syntax errors, duplicate keys and alias bombs.
 */
export function readYaml(text: string, file: string): unknown {
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, merge: false });
  } catch (err) {
    throw configError(file, [`YAML: ${(err as Error).message}`], "the file is not valid YAML");
  }
  if (doc.errors.length > 0) {
    throw configError(
      file,
      capped(doc.errors.map((e) => yamlSyntax(e))),
      "the file is not valid YAML; check indentation and quoting at the line named",
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    throw configError(
      file,
      [`YAML: ${(err as Error).message}`],
      "the file expands to too much data (YAML aliases); write hosts out plainly",
    );
  }
}

/** Host names are checked on the raw keys: zod drops some keys (`__proto__`) silently. */
function nameErrors(raw: object): string[] {
  const errors: string[] = [];
  const rawHosts = (raw as Record<string, unknown>).hosts;
  if (rawHosts === null || typeof rawHosts !== "object" || Array.isArray(rawHosts)) return errors;
  for (const name of Object.keys(rawHosts)) {
    if (!NAME_RE.test(name)) {
      errors.push(`${pathText(["hosts", name])}: ${NAME_MSG}, got ${describeValue(name)}`);
    } else if (name === LOCAL_TARGET) {
      errors.push(
        `hosts.${name}: "${LOCAL_TARGET}" is reserved for this machine; give the host another name (with transport: local)`,
      );
    }
  }
  return errors;
}

/**
 * Parses and checks diagbot inventory YAML into entries (defaults attached, not applied).
 * @throws DiagbotError `config` naming the file, the host and the field.
 */
export function readNativeInventory(text: string, file: string, baseDir: string): HostEntry[] {
  const raw = readYaml(text, file) ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw configError(file, [
      `(top level): expected a mapping with "defaults" and "hosts", got ${describeValue(raw)}`,
    ]);
  }
  const errors = nameErrors(raw);
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push(zodIssueText(issue, raw));
  }
  if (errors.length > 0 || !parsed.success) throw configError(file, errors);

  const defaults = parsed.data.defaults ?? {};
  const hosts = parsed.data.hosts ?? {};
  const entries: HostEntry[] = [];
  for (const name of Object.keys(hosts)) {
    // Own properties only: a host named "constructor" must not read Object.prototype.
    const { groups, jumpHost, ...fields } = (Object.hasOwn(hosts, name) ? hosts[name] : null) ?? {};
    entries.push({
      ...fields,
      name,
      file,
      where: `hosts.${name}`,
      baseDir,
      groups: groups ?? [],
      jump: jumpHost === undefined ? undefined : { hops: [{ host: jumpHost }], strict: true },
      defaults,
    });
  }
  return entries;
}
