import { promisify } from "node:util";
import { gzip } from "node:zlib";
import {
  type CollectorEntry,
  type Manifest,
  STDERR_EXCERPT_BYTES,
  sha256hex,
} from "../bundle/manifest.js";
import type { CollectedOutput } from "../diagnosis/collect.js";
import { redactText } from "../summary/redact.js";

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
  const files: Record<string, string> = {};
  const collectors: Record<string, CollectorEntry> = {};
  let redactions = 0;
  const clean = (b: Buffer | undefined): string | undefined => {
    if (b === undefined) return undefined;
    const r = redactText(b.toString("utf8"));
    redactions += r.count;
    return r.text;
  };
  for (const o of outputs) {
    const sha256: CollectorEntry["sha256"] = {};
    const out = clean(o.out);
    const start = clean(o.start);
    if (out !== undefined) {
      files[`${o.id}.out`] = out;
      sha256.out = sha256hex(Buffer.from(out));
    }
    if (start !== undefined) {
      files[`${o.id}.start.out`] = start;
      sha256.start = sha256hex(Buffer.from(start));
    }
    collectors[o.id] = {
      status: o.status,
      command: o.command === undefined ? undefined : redactText(o.command).text,
      stream: o.stream,
      exitCode: o.exitCode,
      durationMs: o.durationMs,
      stderr: clean(o.stderr?.subarray(0, STDERR_EXCERPT_BYTES)) || undefined,
      truncated: o.truncated,
      error: o.error === undefined ? undefined : redactText(o.error).text,
      sha256: out !== undefined || start !== undefined ? sha256 : undefined,
    };
  }
  const manifest: Manifest & { redacted: number } = {
    version: 1,
    host: meta.host,
    startedAt: meta.startedAt,
    symptom: meta.symptom,
    window: { seconds: meta.windowSeconds },
    collectors,
    redacted: redactions,
  };
  files["bundle.json"] = `${JSON.stringify(manifest, null, 2)}\n`;
  return { files, redactions };
}

/** One ustar header block for a regular file. */
function tarHeader(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (text: string, offset: number, length: number) =>
    h.write(text, offset, length, "utf8");
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");
  put(name.slice(0, 100), 0, 100);
  put(`${octal(0o644, 8)}\0`, 100, 8);
  put(`${octal(0, 8)}\0`, 108, 8);
  put(`${octal(0, 8)}\0`, 116, 8);
  put(`${octal(size, 12)}\0`, 124, 12);
  put(`${octal(mtime, 12)}\0`, 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${octal(sum, 7)}\0 `, 148, 8);
  return h;
}

/**
 * The bundle as a `.tar.gz` under one folder, ready for `tar xzf` and
 * `diagbot diagnose <label> --from <folder>`. `mtimeMs` stamps every file (default now).
 */
export async function bundleTarGz(
  bundle: StoredBundle,
  folder: string,
  mtimeMs = Date.now(),
): Promise<Buffer> {
  const parts: Buffer[] = [];
  const mtime = Math.floor(mtimeMs / 1000);
  for (const [name, text] of Object.entries(bundle.files)) {
    const data = Buffer.from(text, "utf8");
    parts.push(tarHeader(`${folder}/${name}`, data.length, mtime), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return gzipAsync(Buffer.concat(parts));
}
