import { DiagbotError } from "../model/errors.js";
import { defaultRunbookDir, formatIssue, lintRunbooks, loadRunbooks } from "../runbooks/load.js";
import { replayExamples } from "./examples.js";

/** `diagbot runbooks lint`: exit 0 when every rule is valid, 2 otherwise (every problem listed). */
export async function runRunbooksLint(opts: { dir?: string }): Promise<number> {
  const dir = opts.dir ?? defaultRunbookDir();
  const result = lintRunbooks(dir);
  for (const issue of result.issues) process.stdout.write(`${formatIssue(issue)}\n`);
  for (const file of result.emptyFiles) process.stdout.write(`${file}: holds no rule\n`);
  process.stdout.write(
    `${result.runbooks.length} rules in ${result.files.length} files, ${result.issues.length} problems\n`,
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
