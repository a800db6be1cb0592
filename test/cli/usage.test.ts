import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, runCli } from "../helpers/cli.js";

/**
 * README "Exit codes": 2 is a usage error. A missing command prints the usage on stderr and
 * exits 2; asking for help (`--help`, `diagbot help`) prints it on stdout and exits 0.
 */
describe("usage without a command", () => {
  it("`diagbot` alone prints the usage on stderr and exits 2", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: diagbot \[options\] \[command\]/);
    expect(r.stderr).toMatch(/\n {2}diagnose \[options\] <target> \[symptom\]/);
  });

  it("`diagbot runbooks` without a subcommand prints its usage on stderr and exits 2", async () => {
    const r = await runCli(["runbooks"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: diagbot runbooks \[options\] \[command\]/);
    expect(r.stderr).toMatch(/\n {2}lint \[options\]/);
  });

  it.each([[["--help"]], [["help"]], [["runbooks", "--help"]], [["help", "runbooks"]]])(
    "%j asks for help: the usage on stdout, exit 0",
    async (args) => {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage: diagbot/);
      expect(r.stderr).toBe("");
    },
  );

  it("an unknown command is still a usage error (exit 2)", async () => {
    const r = await runCli(["diagnoze"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'diagnoze'/);
  });

  it.each([
    [["diagnose", "x", "--from", ""], "--from needs a path"],
    [["diagnose", "local", "--save", ""], "--save needs a folder"],
  ])("%j: an empty path is a usage error (exit 2) that says so", async (args, said) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`diagbot: ${said}`);
    expect(r.stdout).toBe("");
  });

  it("--from - on a terminal is refused at once, as parse refuses it (exit 2)", () => {
    // script(1) gives the command a pseudo-terminal as its standard input.
    const r = spawnSync(
      "script",
      ["-qec", `${process.execPath} ${BIN} diagnose x --from -`, "/dev/null"],
      { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] },
    );
    expect(r.status, r.stdout).toBe(2);
    expect(r.stdout).toContain("diagbot: --from -: standard input is a terminal");
  });
});
