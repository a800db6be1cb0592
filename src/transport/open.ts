import type { HostConfig } from "../inventory/inventory.js";
import { DiagbotError } from "../model/errors.js";
import { LocalTransport } from "./local.js";
import type { SshConnectOptions } from "./ssh.js";
import type { Transport } from "./types.js";

/**
 * Opens the transport a resolved host asks for: `local` runs on this machine, `ssh` connects
 * (one connection for the whole diagnosis; close it when done).
 * @throws the errors of {@link SshTransport.connect} for SSH hosts; `config` for a replay host.
 */
export async function openTransport(
  host: HostConfig,
  options: SshConnectOptions = {},
): Promise<Transport> {
  if (host.transport === "local") return new LocalTransport(host);
  if (host.transport === "replay") {
    throw new DiagbotError("config", `host ${host.name} is a replay host: it has no transport`, {
      hint: "diagnose it from its bundle (diagbot diagnose on the CLI reads it)",
    });
  }
  const { SshTransport } = await import("./ssh.js");
  return SshTransport.connect(host, options);
}
