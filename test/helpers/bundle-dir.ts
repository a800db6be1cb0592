import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/**
 * Bundles written for one test and removed after it: `bundleDir(files, base?)` copies `base`
 * (a recorded bundle folder) when given, then writes each `files` entry (`name: text`) over it,
 * or deletes it when the text is null.
 */
export function bundleDirs(prefix: string) {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (files: Record<string, string | null>, base?: string): string => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    if (base) cpSync(base, dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      if (text === null) rmSync(join(dir, name), { force: true });
      else writeFileSync(join(dir, name), text);
    }
    return dir;
  };
}
