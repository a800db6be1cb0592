import { hostname } from "node:os";
import type { EvidenceDelivery } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";

/**
 * `--ticket SYSTEM:KEY`: the key is parsed and the system's settings are read before anything
 * is collected (a usage or configuration error exits 2 at once). The returned function attaches
 * the report after it is printed: 0 when the ticket holds it, 5 when delivering failed after
 * retries, with the bundle kept on disk and its path printed. The ticket libraries load only
 * when `--ticket` is given.
 *
 * The CLI keeps no bundle where `serve` answers `/evidence/<sha256>`, so its tickets carry no
 * such link: Jira gets the bundle as an attachment; for the other systems the bundle is saved
 * first under `<state>/evidence/` and the comment says where (`bundleLink`).
 */
export async function ticketDelivery(
  text: string | undefined,
): Promise<EvidenceDelivery | undefined> {
  if (text === undefined) return undefined;
  const tickets = await import("./index.js");
  const { keepEvidence } = await import("./keep.js");
  const key = tickets.parseTicketKey(text);
  const env = process.env;
  const sink = tickets.ticketSink(key.system, { env }) as import("./index.js").TicketSink;
  return async (report, outputs) => {
    const prepared = await tickets.prepareEvidence(report, outputs);
    const file = key.system === "jira" ? undefined : await keepEvidence(prepared, env, "evidence");
    const evidence = file ? { ...prepared, kept: { file, machine: hostname() } } : prepared;
    try {
      const result = await sink.attach(key, evidence);
      const where = result.url ? `: ${result.url}` : "";
      const what = result.status === "attached" ? "attached to" : "already on";
      process.stderr.write(`diagbot: evidence ${what} ${tickets.formatTicketKey(key)}${where}\n`);
      if (file) process.stderr.write(`diagbot: the evidence bundle is saved at ${file}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof DiagbotError && err.kind.exit === 5)) throw err;
      const kept = await keepEvidence(evidence, env, "undelivered");
      process.stderr.write(
        `diagbot: ${err.describe()}\ndiagbot: the evidence bundle is kept at ${kept}\n`,
      );
      return 5;
    }
  };
}
