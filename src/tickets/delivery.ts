import type { EvidenceDelivery } from "../model/answer.js";
import { DiagbotError } from "../model/errors.js";

/**
 * `--ticket SYSTEM:KEY`: the key is parsed and the system's settings are read before anything
 * is collected (a usage or configuration error exits 2 at once). The returned function attaches
 * the report after it is printed: 0 when the ticket holds it, 5 when delivering failed after
 * retries, with the bundle kept on disk and its path printed. The ticket libraries load only
 * when `--ticket` is given.
 */
export async function ticketDelivery(
  text: string | undefined,
): Promise<EvidenceDelivery | undefined> {
  if (text === undefined) return undefined;
  const tickets = await import("./index.js");
  const { keepUndelivered } = await import("./keep.js");
  const key = tickets.parseTicketKey(text);
  const env = process.env;
  const sink = tickets.ticketSink(key.system, { env }) as import("./index.js").TicketSink;
  return async (report, outputs) => {
    const evidence = await tickets.prepareEvidence(report, outputs);
    try {
      const result = await sink.attach(key, evidence);
      const where = result.url ? `: ${result.url}` : "";
      const what = result.status === "attached" ? "attached to" : "already on";
      process.stderr.write(`diagbot: evidence ${what} ${tickets.formatTicketKey(key)}${where}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof DiagbotError && err.kind.exit === 5)) throw err;
      const kept = await keepUndelivered(evidence, env);
      process.stderr.write(
        `diagbot: ${err.describe()}\ndiagbot: the evidence bundle is kept at ${kept}\n`,
      );
      return 5;
    }
  };
}
