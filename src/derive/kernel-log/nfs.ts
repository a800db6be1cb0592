import type { SimpleEvent } from "../../parsers/dmesg.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * NFS servers not responding (net/sunrpc/clnt.c `%s: server %s not responding, still trying`),
 * and whether `server %s OK` followed the last such message.
 */
export const nfs: LogJudge = {
  name: "nfs",
  provides: [
    {
      path: "nfs.not_responding",
      says: "{} `NFS server not responding` messages",
      type: "number",
      unit: "events",
      from: LOG,
      doc: "`nfs: server ... not responding` messages (current).",
    },
    { path: "nfs.server", type: "string", from: LOG, doc: "The server named." },
    {
      path: "nfs.recovered",
      says: {
        yes: "the NFS server answered again (`nfs: server ... OK`)",
        no: "no `nfs: server ... OK` since the last not-responding message",
      },
      type: "boolean",
      from: LOG,
      doc: "True when `server ... OK` follows the last not-responding message.",
    },
  ],
  judge(ev, bag) {
    const nfs = ev.of("nfs-not-responding") as SimpleEvent[];
    const down = nfs.filter((e) => e.status !== "OK");
    bag.set("nfs.not_responding", down.length, SRC, down[0]?.text);
    if (down.length > 0) {
      const lastDown = down[down.length - 1];
      bag.set("nfs.server", lastDown.server, SRC, lastDown.text);
      const recovered = nfs.some((e) => e.status === "OK" && e.line > lastDown.line);
      bag.set("nfs.recovered", recovered, SRC, lastDown.text);
    }
  },
};
