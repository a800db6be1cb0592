import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type ListenAddress, listenOn, type MetricsServer } from "../observability/metrics.js";
import type { StoredBundle } from "../queue/bundle.js";
import type { ResultStore } from "../queue/store.js";
import { type Env, required } from "./config.js";
import { storedEvidence } from "./evidence.js";
import { verifyEvidenceLink } from "./sign.js";

/** The ids `/evidence/<id>` serves: the evidence SHA-256 a ticket comment carries. */
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * `GET /evidence/<sha256>?expires=<unix seconds>&sig=<hex>`: the redacted bundle a ticket links
 * (`bundleLink`, src/tickets/evidence.ts), as `diagbot-<host>-<hash>.tar.gz`. The signature
 * (HMAC-SHA256 with DIAGBOT_EVIDENCE_SECRET, src/tickets/sign.ts) is checked before anything is
 * looked up: a bad or expired one is 403 whether the bundle exists or not; a good one for a
 * bundle no longer stored (DIAGBOT_RESULT_TTL), or never stored by a worker, is 404. Anything
 * but GET or HEAD is 405, any other path 404.
 */
export function evidenceHandler(deps: {
  store: ResultStore;
  secret: string;
  now?: () => Date;
}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { store, secret } = deps;
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://diagbot");
    const m = /^\/evidence\/([^/]+)$/.exec(url.pathname);
    if (!m) return plain(res, 404, "not found");
    if (req.method !== "GET" && req.method !== "HEAD") return plain(res, 405, "GET only");
    const id = m[1];
    const ok = verifyEvidenceLink(
      id,
      url.searchParams.get("expires") ?? "",
      url.searchParams.get("sig") ?? "",
      secret,
      deps.now?.(),
    );
    if (!ok) return plain(res, 403, "this link is not valid or has expired: ask for a new one");
    const diagnosisId = SHA256.test(id) ? await store.evidenceOf(id) : null;
    const [result, bundle] = diagnosisId
      ? await Promise.all([
          store.loadResult(diagnosisId),
          store.loadBundle<StoredBundle>(diagnosisId),
        ])
      : [null, null];
    if (!result || !bundle)
      return plain(res, 404, "this evidence is no longer stored: run the diagnosis again");
    const evidence = await storedEvidence(result.report, bundle, result.redactions);
    res.writeHead(200, {
      "content-type": "application/gzip",
      "content-length": evidence.bundle.length,
      "content-disposition": `attachment; filename="${evidence.bundleName}"`,
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : evidence.bundle);
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain", "cache-control": "no-store" });
  res.end(`${text}\n`);
}

/**
 * `serve`'s evidence listener on `address` (from `DIAGBOT_EVIDENCE_LISTEN`, put behind
 * DIAGBOT_PUBLIC_URL). @throws DiagbotError `config` when DIAGBOT_EVIDENCE_SECRET is missing or
 * the address cannot be listened on.
 */
export async function serveEvidence(
  store: ResultStore,
  env: Env,
  address: ListenAddress,
  name: string,
  onError: (err: Error) => void,
): Promise<MetricsServer> {
  const secret = required(env, "DIAGBOT_EVIDENCE_SECRET", "it signs the /evidence/ links");
  const handle = evidenceHandler({ store, secret });
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      onError(err);
      if (!res.headersSent) plain(res, 500, "the evidence could not be read");
      else res.destroy();
    });
  });
  return listenOn(server, address, name, "evidence links");
}
