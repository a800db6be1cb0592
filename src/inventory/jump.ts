import { isValidAddress, type JumpSpec, USER_RE } from "./host.js";

/**
 * A ProxyJump value (`ssh -J`, OpenSSH ssh_config(5) "ProxyJump"): comma-separated hops
 * `[user@]host[:port]`, outermost first; `[v6]:port` for IPv6. `none` is no jump.
 * @returns the hops, or why the value cannot be used.
 */
export function parseJumpSpecs(value: string): JumpSpec[] | string {
  if (value.trim().toLowerCase() === "none") return [];
  const hops: JumpSpec[] = [];
  for (const part of value.split(",")) {
    const m = /^(?:([^@\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^:@\s[\]]+)(?::([0-9]{1,5}))?$/.exec(
      part.trim(),
    );
    const host = m?.[2].replace(/^\[|\]$/g, "");
    if (!m || host === undefined || !isValidAddress(host)) {
      return `ProxyJump hop ${JSON.stringify(part)} is not [user@]host[:port]; not used`;
    }
    const port = m[3] === undefined ? undefined : Number(m[3]);
    if (port !== undefined && (port < 1 || port > 65535)) {
      return `ProxyJump hop ${JSON.stringify(part)}: port out of range; not used`;
    }
    if (m[1] !== undefined && !USER_RE.test(m[1])) {
      return `ProxyJump hop ${JSON.stringify(part)}: ${JSON.stringify(m[1])} is not a login name; not used`;
    }
    hops.push({
      host,
      ...(m[1] === undefined ? {} : { user: m[1] }),
      ...(port === undefined ? {} : { port }),
    });
  }
  return hops;
}
