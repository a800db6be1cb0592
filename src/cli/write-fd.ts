import { writeSync } from "node:fs";

/** A 4-byte shared cell for Atomics.wait, the synchronous sleep between tries. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` (UTF-8) to a file descriptor before returning. For the many pieces of a
 * large `parse` document this costs half of `process.stdout.write`, which copies every piece
 * into a Buffer first. A short write goes on with the bytes left; a full non-blocking pipe
 * (EAGAIN) is tried again after 1 ms. When the reader has gone (EPIPE: `diagbot parse … | head`)
 * the rest of `text` is dropped quietly, so the command goes on to its own exit code; each later
 * call fails the same way and is dropped too (node ignores SIGPIPE).
 *
 * @returns false when the text was dropped because the reader has gone, else true.
 * @throws any other error of the write (EBADF …), as fs.writeSync does.
 */
export function writeAll(fd: number, text: string): boolean {
  try {
    let written = tryWrite(fd, text);
    const total = Buffer.byteLength(text);
    if (written === total) return true;
    const bytes = Buffer.from(text);
    while (written < total) written += tryWrite(fd, bytes.subarray(written));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EPIPE") return false;
    throw err;
  }
}

/** Bytes written, 0 when the descriptor would block (after a 1 ms pause). */
function tryWrite(fd: number, data: string | Buffer): number {
  try {
    return typeof data === "string" ? writeSync(fd, data) : writeSync(fd, data);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    Atomics.wait(pause, 0, 0, 1);
    return 0;
  }
}
