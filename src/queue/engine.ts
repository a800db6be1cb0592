import { diagnoseLive } from "../engine/diagnose.js";
import { diagnosePasted } from "../engine/from.js";
import {
  closestNames,
  type HostConfig,
  type Inventory,
  loadInventory,
} from "../inventory/inventory.js";
import type { CollectedOutput } from "../model/collected.js";
import { DiagbotError } from "../model/errors.js";
import type { Progress } from "../model/progress.js";
import type { Report } from "../model/report.js";
import type { DiagnoseRequest } from "../model/request.js";
import { loadRunbooks } from "../runbooks/load.js";
import type { Runbook } from "../runbooks/schema.js";
import { openTransport } from "../transport/open.js";

/** Evidence pasted in chat: a message's text and attached files, each named. */
export type PastedPieces = { name: string; bytes: Buffer }[];

/**
 * What a worker runs for a job: the engine on one inventory host, or on `pasted` evidence when
 * the request names some (`request.evidence`).
 */
export type Engine = (
  request: DiagnoseRequest,
  context: {
    signal: AbortSignal;
    onProgress: (progress: Progress) => void;
    pasted?: PastedPieces;
  },
) => Promise<{ report: Report; outputs: CollectedOutput[] }>;

/**
 * Looks `name` up among the inventory's hosts only: `local` (the worker's own machine) is not a
 * host a chat request may name unless the inventory lists a host of that name.
 * @throws DiagbotError `unknown-host` with the closest names.
 */
export function inventoryHost(inventory: Inventory, name: string): HostConfig {
  const host = inventory.hosts.get(name);
  if (host) return host;
  const near = closestNames(name, inventory.hosts.keys(), 20);
  throw new DiagbotError(
    "unknown-host",
    `unknown host ${JSON.stringify(name)}: not in ${inventory.file}`,
    {
      hint: near.length ? `closest known names: ${near.join(", ")}` : undefined,
    },
  );
}

/**
 * The real engine: inventory (re-read for every job, so edits apply without a restart),
 * runbooks (read once), one transport per diagnosis, closed afterwards; pasted evidence is
 * read as `diagnose --from` reads a file, under the request's host label.
 */
export function liveEngine(
  options: { inventoryPath?: string; runbooks?: readonly Runbook[] } = {},
): Engine {
  let runbooks: Promise<readonly Runbook[]> | undefined = options.runbooks
    ? Promise.resolve(options.runbooks)
    : undefined;
  return async (request, { signal, onProgress, pasted }) => {
    runbooks ??= loadRunbooks();
    const rules = await runbooks.catch((err) => {
      runbooks = undefined;
      throw err;
    });
    // Pasted evidence is read, never run, and its host never looked up in the inventory.
    if (request.evidence) {
      if (!pasted)
        throw new DiagbotError("bundle", "the pasted evidence was not given to the engine");
      return diagnosePasted(pasted, request.host, request.symptom, rules);
    }
    const inventory = await loadInventory(options.inventoryPath);
    const host = inventoryHost(inventory, request.host);
    const transport = await openTransport(host);
    try {
      return await diagnoseLive(transport, host.sudo, {
        host: host.name,
        symptom: request.symptom,
        windowSeconds: request.windowSeconds,
        pid: request.pid,
        process: request.process,
        deep: request.deep,
        runbooks: rules,
        onProgress,
        signal,
      });
    } finally {
      await transport.close();
    }
  };
}
