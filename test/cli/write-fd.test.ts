import { spawn, spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeAll } from "../../src/cli/write-fd.js";

/**
 * `diagbot parse` writes its document with writeAll: every byte arrives, in order, also through
 * a non-blocking pipe that is full when the reader is slow (EAGAIN and short writes).
 */

const dir = mkdtempSync(join(tmpdir(), "diagbot-write-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("writeAll", () => {
  it("writes all of a text larger than a pipe to a slow reader of a non-blocking FIFO", async () => {
    const fifo = join(dir, "fifo");
    const out = join(dir, "out");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    // A reader end of our own lets the non-blocking writer open before `cat` does.
    const keep = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const cat = spawn("sh", ["-c", `sleep 0.3; cat '${fifo}' > '${out}'`]);
    const exited = new Promise<number | null>((resolve) => cat.on("exit", resolve));
    const text = Array.from({ length: 40_000 }, (_, i) => `row ${i} ü €\n`).join("");
    writeAll(fd, text);
    closeSync(fd);
    closeSync(keep);
    expect(await exited).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(text);
  });

  it("drops the text and returns false when the FIFO's reader has gone (EPIPE)", () => {
    const fifo = join(dir, "fifo-gone");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    expect(writeAll(fd, "first\n")).toBe(true);
    closeSync(reader);
    expect(writeAll(fd, "second\n")).toBe(false);
    expect(writeAll(fd, "third\n")).toBe(false);
    closeSync(fd);
  });

  it("throws what the write throws, as EBADF for a closed descriptor", () => {
    const fd = openSync(join(dir, "file"), "w");
    closeSync(fd);
    expect(() => writeAll(fd, "x")).toThrow(/EBADF/);
  });
});
