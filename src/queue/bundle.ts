import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { pack } from "tar-stream";
import { buildBundle, type Manifest } from "../bundle/manifest.js";
import type { CollectedOutput } from "../model/collected.js";
import { redactText } from "../redact/index.js";

const gzipAsync = promisify(gzip);

/**
 * The evidence bundle as kept in Redis for *Show evidence*: the same files as a `--save`
 * folder (`<id>.out`, `<id>.start.out`, `bundle.json`), but redacted, as text. The manifest's
 * SHA-256 sums are of the redacted files, and it records how many secrets were replaced.
 */
export interface StoredBundle {
  /** File name → redacted text. */
  files: Record<string, string>;
  redactions: number;
}

export function redactedBundle(
  meta: { host: string; startedAt: string; symptom: string; windowSeconds: number },
  outputs: readonly CollectedOutput[],
): StoredBundle {
  let redactions = 0;
  const built = buildBundle(meta, outputs, {
    data: (b) => {
      const r = redactText(b.toString("utf8"));
      redactions += r.count;
      return Buffer.from(r.text, "utf8");
    },
    text: (t) => redactText(t).text,
  });
  const files: Record<string, string> = {};
  for (const f of built.files) files[f.name] = f.data.toString("utf8");
  const manifest: Manifest & { redacted: number } = { ...built.manifest, redacted: redactions };
  files["bundle.json"] = `${JSON.stringify(manifest, null, 2)}\n`;
  return { files, redactions };
}

/**
 * The bundle as a `.tar.gz` under one folder, ready for `tar xzf` and
 * `diagbot diagnose <label> --from <folder>`. Written by tar-stream (pax headers for names over
 * 100 bytes), gzipped with zlib. `mtimeMs` stamps every file (default now).
 */
export async function bundleTarGz(
  bundle: StoredBundle,
  folder: string,
  mtimeMs = Date.now(),
): Promise<Buffer> {
  const archive = pack();
  const mtime = new Date(Math.floor(mtimeMs / 1000) * 1000);
  for (const [name, text] of Object.entries(bundle.files)) {
    archive.entry({ name: `${folder}/${name}`, mode: 0o644, mtime }, Buffer.from(text, "utf8"));
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return gzipAsync(Buffer.concat(chunks));
}
