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
