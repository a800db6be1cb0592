#!/usr/bin/env node
/**
 * Peak memory of replaying a garbage bundle: a `dmesg.out` of random bytes (200 MB by default)
 * is generated into a fresh folder under $TMPDIR, replayed with
 * `diagbot diagnose garbage --from DIR --json`, and the peak RSS is read from GNU time (`%M`).
 * The replay must refuse the output (dmesg `failed`, "binary data") and stay under 150 MB.
 * See bench/README.md.
 *
 *   node bench/garbage-replay.js [--mb N] [--keep]
 *
 * Needs a built dist/ (`npm run build`) and GNU time (`apt-get install time`). Prints one
 * line of JSON: { mb, peakRssMb, seconds, dmesg: { status, error } }; exits 1 when the
 * output was not refused or the peak passed 150 MB.
 */
import { spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "diagbot.js");
/** The bound of bench/README.md, MB. */
const LIMIT_MB = 150;

const { values } = parseArgs({
  options: { mb: { type: "string", default: "200" }, keep: { type: "boolean", default: false } },
});
const mb = Number(values.mb);
const dir = mkdtempSync(join(tmpdir(), "diagbot-garbage-"));
try {
  const fd = openSync(join(dir, "dmesg.out"), "w");
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < mb; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
  const started = Date.now();
  const run = spawnSync(
    "/usr/bin/time",
    ["-f", "%M", process.execPath, BIN, "diagnose", "garbage", "--from", dir, "--json"],
    { encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const seconds = (Date.now() - started) / 1000;
  const peakRssMb = Number(run.stderr.trim().split("\n").pop()) / 1024;
  const report = JSON.parse(run.stdout);
  const dmesg = report.collectors.find((c) => c.id === "dmesg");
  const result = {
    mb,
    peakRssMb: Math.round(peakRssMb),
    seconds,
    dmesg: { status: dmesg?.status, error: dmesg?.error },
  };
  console.log(JSON.stringify(result));
  const refused = dmesg?.status === "failed" && /binary data/.test(dmesg.error ?? "");
  process.exitCode = refused && peakRssMb < LIMIT_MB ? 0 : 1;
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
