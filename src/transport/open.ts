import type { HostConfig } from "../inventory/inventory.js";
import { LocalTransport } from "./local.js";
import type { SshConnectOptions } from "./ssh.js";
import type { Transport } from "./types.js";

/**
 * Opens the transport a resolved host asks for: `local` runs on this machine, `ssh` connects
 * (one connection for the whole diagnosis; close it when done).
 * @throws the errors of {@link SshTransport.connect} for SSH hosts.
 */
export async function openTransport(
  host: HostConfig,
  options: SshConnectOptions = {},
): Promise<Transport> {
  if (host.transport === "local") return new LocalTransport(host);
  const { SshTransport } = await import("./ssh.js");
  return SshTransport.connect(host, options);
}
