import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * `bundle.json`: the manifest of an evidence bundle (DESIGN.md "Collectors and the evidence
 * bundle"). Every field is optional when reading, so a bundle assembled by hand still loads.
 */
export const CollectorEntrySchema = z
  .object({
    status: z.enum(["ok", "failed", "missing", "timeout", "skipped"]).optional(),
    command: z.string().optional(),
    stream: z.enum(["stdout", "stderr"]).optional(),
    exitCode: z.number().int().optional(),
    durationMs: z.number().nonnegative().optional(),
    stderr: z.string().optional(),
    truncated: z.boolean().optional(),
    /** Only part of the output was given (a filtered paste): absence in it proves nothing. */
    partial: z.boolean().optional(),
    error: z.string().optional(),
    /** SHA-256 (hex) of `<id>.out` and `<id>.start.out`. */
    sha256: z.object({ out: z.string().optional(), start: z.string().optional() }).optional(),
  })
  .passthrough();

export const ManifestSchema = z
  .object({
    version: z.number().int().optional(),
    host: z.string().optional(),
    startedAt: z.string().optional(),
    symptom: z.string().optional(),
    window: z.object({ seconds: z.number().positive() }).passthrough().optional(),
    collectors: z.record(CollectorEntrySchema).optional(),
  })
  .passthrough();

export type Manifest = z.infer<typeof ManifestSchema>;
export type CollectorEntry = z.infer<typeof CollectorEntrySchema>;

/** Bytes of stderr kept in the manifest per collector. */
export const STDERR_EXCERPT_BYTES = 2048;

/** Hex SHA-256 of a file's bytes, as recorded in `bundle.json`. */
export function sha256hex(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** One file of a bundle: `<id>.out` or `<id>.start.out`. */
export interface BundleFile {
  name: string;
  data: Buffer;
}

/**
 * The files of a bundle and its manifest, built from the collected outputs; the one place a
 * manifest is made (`--save` writes it byte-exact, the queue keeps it redacted).
 * @param rewrite.data applied to every output and stderr excerpt before it is kept and hashed
 * @param rewrite.text applied to each command line and error message
 */
export function buildBundle(
  meta: { host: string; startedAt: string; symptom: string; windowSeconds?: number },
  outputs: readonly {
    id: string;
    status: CollectorEntry["status"];
    out?: Buffer;
    start?: Buffer;
    stderr?: Buffer;
    command?: string;
    stream?: "stdout" | "stderr";
    exitCode?: number;
    durationMs: number;
    truncated?: boolean;
    partial?: boolean;
    error?: string;
  }[],
  rewrite: { data?: (b: Buffer) => Buffer; text?: (s: string) => string } = {},
): { files: BundleFile[]; manifest: Manifest } {
  const data = rewrite.data ?? ((b: Buffer) => b);
  const text = rewrite.text ?? ((s: string) => s);
  const files: BundleFile[] = [];
  const collectors: Record<string, CollectorEntry> = {};
  for (const o of outputs) {
    const sha256: CollectorEntry["sha256"] = {};
    const out = o.out === undefined ? undefined : data(o.out);
    const start = o.start === undefined ? undefined : data(o.start);
    if (out !== undefined) {
      files.push({ name: `${o.id}.out`, data: out });
      sha256.out = sha256hex(out);
    }
    if (start !== undefined) {
      files.push({ name: `${o.id}.start.out`, data: start });
      sha256.start = sha256hex(start);
    }
    const stderr =
      o.stderr === undefined ? undefined : data(o.stderr.subarray(0, STDERR_EXCERPT_BYTES));
    collectors[o.id] = {
      status: o.status,
      command: o.command === undefined ? undefined : text(o.command),
      stream: o.stream,
      exitCode: o.exitCode,
      durationMs: o.durationMs,
      stderr: stderr?.toString("utf8") || undefined,
      truncated: o.truncated,
      partial: o.partial || undefined,
      error: o.error === undefined ? undefined : text(o.error),
      sha256: out !== undefined || start !== undefined ? sha256 : undefined,
    };
  }
  const manifest: Manifest = {
    version: 1,
    host: meta.host,
    startedAt: meta.startedAt,
    symptom: meta.symptom,
    ...(meta.windowSeconds === undefined ? {} : { window: { seconds: meta.windowSeconds } }),
    collectors,
  };
  return { files, manifest };
}
