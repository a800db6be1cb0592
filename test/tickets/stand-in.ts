import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the stand-in received it. */
export interface Call {
  method: string;
  /** Path and query, e.g. `/rest/api/3/issue/OPS-7/comment?startAt=0&maxResults=100`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** When the request ended, ms since the epoch. */
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON. */
  body?: unknown;
}

/**
 * An HTTP server on 127.0.0.1 (random port) that records every call and answers with
 * `handle`. `failNext` queues answers given before `handle` is asked (429, 503, ...);
 * `failAlways` answers every call with one answer.
 */
export async function standIn(handle: (call: Call) => Answer | Promise<Answer>) {
  const calls: Call[] = [];
  const queued: Answer[] = [];
  let always: Answer | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const call = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      calls.push(call);
      const answer = always ?? queued.shift() ?? (await handle(call));
      const json = answer.body !== undefined && typeof answer.body !== "string";
      res.writeHead(answer.status, {
        ...(json ? { "content-type": "application/json" } : {}),
        ...answer.headers,
      });
      res.end(
        answer.body === undefined
          ? ""
          : json
            ? JSON.stringify(answer.body)
            : (answer.body as string),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext: (...answers: Answer[]) => queued.push(...answers),
    failAlways: (answer: Answer | undefined) => {
      always = answer;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The parts of a multipart/form-data body, parsed by undici's own parser. */
export async function multipartFiles(
  call: Call,
): Promise<{ field: string; name: string; data: Buffer }[]> {
  const form = await new Request("http://x/", {
    method: "POST",
    headers: { "content-type": String(call.headers["content-type"]) },
    body: new Uint8Array(call.body),
  }).formData();
  const files: { field: string; name: string; data: Buffer }[] = [];
  for (const [field, value] of form.entries()) {
    if (typeof value !== "string")
      files.push({ field, name: value.name, data: Buffer.from(await value.arrayBuffer()) });
  }
  return files;
}

/** Path and query of a call, split. */
export function route(call: Call): { path: string; query: URLSearchParams } {
  const u = new URL(call.url, "http://x");
  return { path: u.pathname, query: u.searchParams };
}
