import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { coverageMarkdown, type TestFile } from "../runbooks/coverage.js";
import { defaultRunbookDir, formatIssue, lintRunbooks, loadRunbooks } from "../runbooks/load.js";
import { replayExamples } from "./examples.js";

/** `diagbot runbooks lint`: exit 0 when every rule is valid, 2 otherwise (every problem listed). */
export async function runRunbooksLint(opts: { dir?: string }): Promise<number> {
  const dir = opts.dir ?? defaultRunbookDir();
  const result = lintRunbooks(dir);
  for (const issue of result.issues) process.stdout.write(`${formatIssue(issue)}\n`);
  for (const file of result.emptyFiles) process.stdout.write(`${file}: holds no rule\n`);
  process.stdout.write(
    `${result.runbooks.length} rules in ${result.files.length} files, ${result.issues.length} problem${result.issues.length === 1 ? "" : "s"}\n`,
  );
  return result.issues.length === 0 ? 0 : 2;
}

/** `diagbot runbooks test`: exit 0 when every example names its expected category first. */
export async function runRunbooksTest(opts: { dir?: string; json: boolean }): Promise<number> {
  const dir = opts.dir ?? defaultRunbookDir();
  const runbooks = await loadRunbooks(dir);
  const results = await replayExamples(dir, runbooks);
  if (results.length === 0) {
    throw new DiagbotError("runbook", `no example bundles under ${dir}/examples`, {
      hint: "each example is a folder of <collector-id>.out files with an expected.json",
    });
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const r of results) {
      const want = [r.expected, ...r.also].join(" | ");
      process.stdout.write(
        `${r.pass ? "pass" : "FAIL"}  ${r.name}: expected ${want}, got ${r.got}\n`,
      );
    }
  }
  const failed = results.filter((r) => !r.pass).length;
  process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

/** Every `*.test.ts` under `dir`, with its path relative to `root`. */
function readTests(dir: string, root: string): TestFile[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => ({ path: relative(root, join(dir, f)), text: readFileSync(join(dir, f), "utf8") }));
}

/**
 * `diagbot runbooks coverage`: writes `<dir>/COVERAGE.md`, the table of categories against the
 * kinds of evidence and their tested rules (src/runbooks/coverage.ts); `--check` compares instead
 * and exits 1 when the file differs.
 */
export async function runRunbooksCoverage(opts: {
  dir?: string;
  tests?: string;
  check: boolean;
}): Promise<number> {
  const dir = opts.dir ?? defaultRunbookDir();
  const tests = opts.tests ?? join(dir, "..", "test");
  if (!existsSync(tests)) {
    throw new DiagbotError("usage", `no test folder at ${tests}`, {
      hint: "run from a source checkout, or give the test folder with --tests <dir>",
    });
  }
  const text = coverageMarkdown(await loadRunbooks(dir), readTests(tests, join(tests, "..")));
  const file = join(dir, "COVERAGE.md");
  if (opts.check) {
    const same = existsSync(file) && readFileSync(file, "utf8") === text;
    process.stdout.write(
      same
        ? `${file} is up to date\n`
        : `${file} differs from the generator: run \`diagbot runbooks coverage\` to write it again\n`,
    );
    return same ? 0 : 1;
  }
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new DiagbotError("config", `cannot write ${file}: ${whyUnreadable(err)}`, {
      hint: "run it where the runbook folder is writable, or use --check to compare only",
    });
  }
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}
