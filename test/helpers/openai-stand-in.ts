import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local server speaking the OpenAI chat-completions protocol (POST /v1/chat/completions, JSON
 * in and out, `usage`, `Authorization: Bearer` checked). It records every request and answers
 * each with the next scripted reply (the last one repeats).
 */

export interface ChatRequest {
  authorization?: string;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    max_tokens?: number;
    max_completion_tokens?: number;
    response_format?: {
      type: string;
      json_schema?: { name: string; strict?: boolean; schema: unknown };
    };
  };
}

/** A scripted reply: the content of the message (an object is sent as JSON), or an HTTP reply. */
export type Reply =
  | { content: string | object; delayMs?: number }
  | { status: number; headers?: Record<string, string>; body?: string };

/** A reply computed from the request (e.g. a model that obeys what the prompt says). */
export type Script = Reply | ((req: ChatRequest) => Reply);

export interface StandIn {
  baseURL: string;
  apiKey: string;
  requests: ChatRequest[];
  /** Replaces the scripted replies. */
  script(...replies: Script[]): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startStandIn(apiKey = "sk-stand-in-key"): Promise<StandIn> {
  const requests: ChatRequest[] = [];
  let replies: Script[] = [];
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end('{"error":{"message":"not found"}}');
      return;
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}');
      return;
    }
    const chat: ChatRequest = { authorization: req.headers.authorization, body: JSON.parse(raw) };
    requests.push(chat);
    const next = replies.length > 1 ? replies.shift() : replies[0];
    const reply = typeof next === "function" ? next(chat) : next;
    if (!reply) {
      res.writeHead(500).end();
      return;
    }
    if ("status" in reply) {
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body ?? `{"error":{"message":"scripted ${reply.status}"}}`);
      return;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    const content =
      typeof reply.content === "string" ? reply.content : JSON.stringify(reply.content);
    const prompt = Math.ceil(raw.length / 4);
    const completion = Math.ceil(content.length / 4);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: chat.body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: {
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion,
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    script: (...r) => {
      replies = r;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
