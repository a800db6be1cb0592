#!/usr/bin/env node
// The last step of `npm run build`: checks the packaged runbooks and writes them to
// dist/runbooks.compiled.json, which loading then reads while nothing changed
// (src/runbooks/compiled.ts). A rule with a problem fails the build, as it would fail a start.
import { COMPILED_RUNBOOKS, writeCompiled } from "../dist/runbooks/compiled.js";
import { defaultRunbookDir, loadRunbooks } from "../dist/runbooks/load.js";

const dir = defaultRunbookDir({});
try {
  writeCompiled(dir, await loadRunbooks(dir, { compiled: false }));
  console.log(`runbooks of ${dir} checked and written to ${COMPILED_RUNBOOKS}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
