import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A local stand-in for Slack: the Web API (`/api/<method>`), response_url endpoints
 * (`/response/<id>`), file upload URLs (`/upload/<id>`), files shared in Slack at their
 * `url_private` (`/files-pri/T1-<id>/<name>`, given only with the bot token: anyone else gets
 * Slack's sign-in page, HTML with 200, as files.slack.com answers) and a Socket Mode WebSocket
 * (`/socket`, the URL `apps.connections.open` returns). It records every call, checks each
 * method's token and required arguments the way Slack does (`not_authed`, `invalid_auth`,
 * `invalid_arguments`), and can inject `not_in_channel`, 429 with Retry-After, and 5xx.
 * Listens on 127.0.0.1 only.
 */
/** JSON sent by the app under test; the tests check its fields. */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON, checked field by field by the tests
export type Json = any;

export interface ApiCall {
  method: string;
  args: Record<string, Json>;
  token?: string;
  at: number;
  /** The HTTP status answered. */
  status: number;
  /** The `error` answered, if any. */
  error?: string;
  /** The JSON answered. */
  response?: Json;
  /** When a successful answer was sent (ms since the epoch). */
  answeredAt?: number;
}

export interface Injection {
  /** A Slack error answered with HTTP 200 (`not_in_channel`, `channel_not_found`...). */
  error?: string;
  /** An HTTP status instead (429, 500, 503). */
  status?: number;
  /** Seconds for 429's Retry-After header. */
  retryAfter?: number;
  /** Answer (normally, or as set above) only after this many ms: a slow Slack API. */
  delayMs?: number;
  /** How many calls it applies to (default 1). */
  times?: number;
  /** Only calls whose arguments match. */
  when?: (args: Record<string, Json>) => boolean;
}

/** A file shared in Slack, as messages and `file_input` states describe it. */
export interface SharedFile {
  id: string;
  name: string;
  title: string;
  size: number;
  mimetype: string;
  filetype: string;
  url_private: string;
  url_private_download: string;
}

/** Required arguments per method (any one of the alternatives in a group). */
const REQUIRED: Record<string, string[][]> = {
  "auth.test": [],
  "chat.postMessage": [["channel"], ["text", "blocks", "attachments"]],
  "chat.update": [["channel"], ["ts"]],
  "chat.postEphemeral": [["channel"], ["user"], ["text", "blocks", "attachments"]],
  "views.publish": [["user_id"], ["view"]],
  "views.open": [["trigger_id"], ["view"]],
  "files.getUploadURLExternal": [["filename"], ["length"]],
  "files.completeUploadExternal": [["files"]],
  "usergroups.users.list": [["usergroup"]],
  "files.info": [["file"]],
  "apps.connections.open": [],
};

export interface FakeSlack {
  url: string;
  /** `SLACK_API_URL` for the app. */
  apiUrl: string;
  botToken: string;
  appToken: string;
  signingSecret: string;
  calls: ApiCall[];
  /** Calls of one method, in order. */
  callsOf(method: string): ApiCall[];
  /** Bodies posted to response URLs, in order. */
  responses: { id: string; body: Json; at: number }[];
  /** Bytes received at upload URLs, by file id. */
  uploads: Map<string, Buffer>;
  /** Shares a file in Slack: served at its `url_private` with the bot token (or redirected). */
  shareFile(
    name: string,
    bytes: Buffer,
    options?: { filetype?: string; mimetype?: string; redirectTo?: string },
  ): SharedFile;
  /** Requests for shared files' bytes, in order: the file id and whether the bot token came with it. */
  fileFetches: { id: string; authorised: boolean; at: number }[];
  inject(method: string, injection: Injection): void;
  /** A fresh response_url served here. */
  responseUrl(): string;
  /** Members answered by usergroups.users.list, by group. */
  usergroups: Map<string, string[]>;
  /** Socket Mode: the connected clients. */
  sockets(): WebSocket[];
  /** Sends an envelope to the connected Socket Mode client; resolves with its acknowledgement. */
  sendEnvelope(
    type: "slash_commands" | "interactive" | "events_api",
    payload: unknown,
  ): Promise<Json>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseArgs(req: IncomingMessage, body: Buffer): Record<string, Json> {
  const type = req.headers["content-type"] ?? "";
  const text = body.toString("utf8");
  if (type.includes("application/json")) return text ? JSON.parse(text) : {};
  const args: Record<string, Json> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    // The Web API client JSON-encodes objects and arrays inside form fields.
    args[k] = /^[[{]/.test(v) ? safeJson(v) : v;
  }
  return args;
}

/** An upload's file bytes: the raw body, or the one part of a multipart/form-data body. */
function fileOf(req: IncomingMessage, body: Buffer): Buffer {
  const m = /multipart\/form-data;\s*boundary=("?)([^";]+)\1/i.exec(
    req.headers["content-type"] ?? "",
  );
  if (!m) return body;
  const boundary = Buffer.from(`--${m[2]}`);
  const start = body.indexOf(boundary);
  const headersEnd = body.indexOf("\r\n\r\n", start);
  const end = body.indexOf(Buffer.from(`\r\n--${m[2]}`), headersEnd);
  return body.subarray(headersEnd + 4, end);
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export async function startFakeSlack(
  options: { botToken?: string; appToken?: string; signingSecret?: string } = {},
): Promise<FakeSlack> {
  const botToken = options.botToken ?? `xoxb-test-${randomBytes(6).toString("hex")}`;
  const appToken = options.appToken ?? `xapp-test-${randomBytes(6).toString("hex")}`;
  const signingSecret = options.signingSecret ?? randomBytes(16).toString("hex");
  const calls: ApiCall[] = [];
  const responses: FakeSlack["responses"] = [];
  const uploads = new Map<string, Buffer>();
  const shared = new Map<string, { file: SharedFile; bytes: Buffer; redirectTo?: string }>();
  const fileFetches: FakeSlack["fileFetches"] = [];
  const injections = new Map<string, Injection[]>();
  const usergroups = new Map<string, string[]>();
  let tsCounter = 0;
  let fileCounter = 0;
  let responseCounter = 0;
  let base = "";

  let current: ApiCall | undefined;
  const answer = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    if (current) current.response = body;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const handleApi = (method: string, req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const args = parseArgs(req, body);
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : (args.token as string | undefined);
    delete args.token;
    const call: ApiCall = { method, args, token, at: Date.now(), status: 200 };
    calls.push(call);
    current = call;
    const fail = (error: string, status = 200, headers: Record<string, string> = {}) => {
      call.error = error;
      call.status = status;
      answer(res, status, { ok: false, error }, headers);
    };
    if (!(method in REQUIRED)) return fail("unknown_method");
    const expected = method === "apps.connections.open" ? appToken : botToken;
    if (!token) return fail("not_authed");
    if (token !== expected) return fail("invalid_auth");
    for (const group of REQUIRED[method]) {
      if (!group.some((k) => args[k] !== undefined && args[k] !== ""))
        return fail("invalid_arguments");
    }
    const queue = injections.get(method) ?? [];
    const inj = queue.find((i) => (i.times ?? 1) > 0 && (!i.when || i.when(args)));
    if (inj) {
      inj.times = (inj.times ?? 1) - 1;
      if (inj.delayMs) {
        const { delayMs, ...rest } = inj;
        setTimeout(() => {
          current = call;
          finish(rest);
        }, delayMs);
        return;
      }
    }
    finish(inj);
    function finish(inj: Injection | undefined) {
      if (inj?.status === 429)
        return fail("ratelimited", 429, { "retry-after": String(inj.retryAfter ?? 1) });
      if (inj?.status) return fail("internal_error", inj.status);
      if (inj?.error) return fail(inj.error);
      call.answeredAt = Date.now();
      respond();
    }
    function respond() {
      const ts = () => `1700000000.${String(++tsCounter).padStart(6, "0")}`;
      switch (method) {
        case "auth.test":
          return answer(res, 200, {
            ok: true,
            user_id: "UBOT",
            bot_id: "BBOT",
            team_id: "T1",
            user: "diagbot",
            team: "test",
          });
        case "chat.postMessage":
          return answer(res, 200, {
            ok: true,
            channel: args.channel,
            ts: ts(),
            message: { text: args.text },
          });
        case "chat.update":
          return answer(res, 200, {
            ok: true,
            channel: args.channel,
            ts: args.ts,
            text: args.text,
          });
        case "chat.postEphemeral":
          return answer(res, 200, { ok: true, message_ts: ts() });
        case "views.publish":
          return answer(res, 200, { ok: true, view: { id: "V1", ...args.view } });
        case "views.open":
          return answer(res, 200, { ok: true, view: { id: "V2", ...args.view } });
        case "files.getUploadURLExternal": {
          const id = `F${++fileCounter}`;
          return answer(res, 200, { ok: true, upload_url: `${base}/upload/${id}`, file_id: id });
        }
        case "files.completeUploadExternal": {
          const files = (Array.isArray(args.files) ? args.files : []) as {
            id: string;
            title?: string;
          }[];
          const missing = files.find((f) => !uploads.has(f.id));
          if (missing) return fail("file_not_found");
          return answer(res, 200, {
            ok: true,
            files: files.map((f) => ({ id: f.id, title: f.title })),
          });
        }
        case "files.info": {
          const found = shared.get(args.file);
          if (!found) return fail("file_not_found");
          return answer(res, 200, { ok: true, file: found.file });
        }
        case "usergroups.users.list":
          return answer(res, 200, { ok: true, users: usergroups.get(args.usergroup) ?? [] });
        case "apps.connections.open":
          return answer(res, 200, { ok: true, url: `${base.replace(/^http/, "ws")}/socket` });
      }
    }
  };

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://x");
    const api = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
    if (api) {
      handleApi(api[1], req, body, res);
      current = undefined;
      return;
    }
    const upload = /^\/upload\/(F\d+)$/.exec(url.pathname);
    if (upload && req.method === "POST") {
      uploads.set(upload[1], fileOf(req, body));
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(`OK - ${body.length}`);
    }
    const file = /^\/files-pri\/T1-(FP\d+)\/(?:download\/)?[^/]+$/.exec(url.pathname);
    if (file && req.method === "GET") {
      const authorised = req.headers.authorization === `Bearer ${botToken}`;
      fileFetches.push({ id: file[1], authorised, at: Date.now() });
      const found = shared.get(file[1]);
      if (!authorised || !found) {
        res.writeHead(authorised ? 404 : 200, { "content-type": "text/html; charset=utf-8" });
        return res.end("<!DOCTYPE html><html><body>Sign in to Slack</body></html>");
      }
      if (found.redirectTo) {
        res.writeHead(302, { location: found.redirectTo });
        return res.end();
      }
      res.writeHead(200, {
        "content-type": found.file.mimetype,
        "content-length": String(found.bytes.length),
      });
      return res.end(found.bytes);
    }
    const response = /^\/response\/([a-z0-9]+)$/.exec(url.pathname);
    if (response && req.method === "POST") {
      responses.push({ id: response[1], body: safeJson(body.toString("utf8")), at: Date.now() });
      return answer(res, 200, { ok: true });
    }
    res.writeHead(404);
    res.end();
  });

  const wss = new WebSocketServer({ noServer: true });
  const acks = new Map<string, (payload: unknown) => void>();
  server.on("upgrade", (req, socket, head) => {
    if (!req.url?.startsWith("/socket")) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("message", (data) => {
        const msg = safeJson(data.toString()) as { envelope_id?: string; payload?: unknown };
        if (msg?.envelope_id) acks.get(msg.envelope_id)?.(msg);
      });
      ws.send(
        JSON.stringify({
          type: "hello",
          num_connections: 1,
          debug_info: { host: "local", approximate_connection_time: 18060 },
          connection_info: { app_id: "A1" },
        }),
      );
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apiUrl: `${base}/api/`,
    botToken,
    appToken,
    signingSecret,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method && c.status === 200 && !c.error),
    responses,
    uploads,
    fileFetches,
    shareFile(name, bytes, options = {}) {
      const id = `FP${++fileCounter}`;
      const file: SharedFile = {
        id,
        name,
        title: name,
        size: bytes.length,
        mimetype: options.mimetype ?? "text/plain",
        filetype: options.filetype ?? "text",
        url_private: `${base}/files-pri/T1-${id}/${encodeURIComponent(name)}`,
        url_private_download: `${base}/files-pri/T1-${id}/download/${encodeURIComponent(name)}`,
      };
      shared.set(id, { file, bytes, redirectTo: options.redirectTo });
      return file;
    },
    usergroups,
    inject(method, injection) {
      const list = injections.get(method) ?? [];
      list.push({ times: 1, ...injection });
      injections.set(method, list);
    },
    responseUrl: () => `${base}/response/r${++responseCounter}`,
    sockets: () => [...wss.clients],
    sendEnvelope(type, payload) {
      const envelopeId = randomBytes(8).toString("hex");
      const client = [...wss.clients][0];
      if (!client) return Promise.reject(new Error("no Socket Mode client connected"));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no acknowledgement within 3 s")), 3000);
        acks.set(envelopeId, (msg) => {
          clearTimeout(timer);
          acks.delete(envelopeId);
          resolve(msg);
        });
        client.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: type !== "events_api",
            retry_attempt: 0,
            retry_reason: "",
          }),
        );
      });
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Signs a request body as Slack does: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** A slash command's form body. */
export function slashCommand(fields: {
  text: string;
  user?: string;
  channel?: string;
  responseUrl: string;
  command?: string;
}): string {
  return new URLSearchParams({
    token: "verification-token-unused",
    team_id: "T1",
    team_domain: "test",
    channel_id: fields.channel ?? "C1",
    channel_name: "incidents",
    user_id: fields.user ?? "U1",
    user_name: "oncall",
    command: fields.command ?? "/diagnose",
    text: fields.text,
    api_app_id: "A1",
    response_url: fields.responseUrl,
    trigger_id: "1.2.3",
  }).toString();
}

/** A block_actions payload for a button of the answer. */
export function buttonPayload(fields: {
  actionId: string;
  value: string;
  user?: string;
  channel?: string;
  messageTs: string;
  threadTs?: string;
  responseUrl: string;
}): Record<string, unknown> {
  return {
    type: "block_actions",
    team: { id: "T1", domain: "test" },
    user: { id: fields.user ?? "U1", username: "oncall", team_id: "T1" },
    api_app_id: "A1",
    token: "verification-token-unused",
    container: {
      type: "message",
      message_ts: fields.messageTs,
      channel_id: fields.channel ?? "C1",
      is_ephemeral: false,
    },
    trigger_id: "1.2.3",
    channel: { id: fields.channel ?? "C1", name: "incidents" },
    message: { type: "message", ts: fields.messageTs, thread_ts: fields.threadTs, text: "answer" },
    response_url: fields.responseUrl,
    actions: [
      {
        type: "button",
        action_id: fields.actionId,
        block_id: "b1",
        value: fields.value,
        action_ts: "1700000001.000001",
        text: { type: "plain_text", text: "x" },
      },
    ],
  };
}

/** A message shortcut's payload (`message_action`) on a message with `text` and `files`. */
export function messageShortcut(fields: {
  callbackId: string;
  text: string;
  files?: SharedFile[];
  messageTs?: string;
  threadTs?: string;
  user?: string;
  channel?: string;
  responseUrl: string;
}): Record<string, unknown> {
  const ts = fields.messageTs ?? "1700000100.000100";
  return {
    type: "message_action",
    token: "verification-token-unused",
    action_ts: "1700000101.000001",
    team: { id: "T1", domain: "test" },
    user: { id: fields.user ?? "U1", name: "oncall", team_id: "T1" },
    channel: { id: fields.channel ?? "C1", name: "incidents" },
    callback_id: fields.callbackId,
    trigger_id: "1.2.5",
    message_ts: ts,
    message: {
      type: "message",
      user: "U9",
      ts,
      text: fields.text,
      ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
      ...(fields.files ? { files: fields.files } : {}),
    },
    response_url: fields.responseUrl,
  };
}

/**
 * A view_submission payload for a modal: `values` is `state.values` (block id → action id →
 * the element's state, e.g. `{ selected_option: { value } }` or `{ value }`).
 */
export function viewSubmission(fields: {
  callbackId: string;
  privateMetadata: string;
  values: Record<string, Record<string, Record<string, Json>>>;
  user?: string;
}): Record<string, unknown> {
  return {
    type: "view_submission",
    team: { id: "T1", domain: "test" },
    user: { id: fields.user ?? "U1", username: "oncall", team_id: "T1" },
    api_app_id: "A1",
    token: "verification-token-unused",
    trigger_id: "1.2.4",
    view: {
      id: "V2",
      type: "modal",
      callback_id: fields.callbackId,
      private_metadata: fields.privateMetadata,
      state: { values: fields.values },
      hash: "1.abc",
    },
  };
}

/** POSTs to the app's /slack/events, signed unless told otherwise. */
export async function postSigned(
  url: string,
  secret: string,
  body: string,
  options: {
    timestamp?: number;
    badSignature?: boolean;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: string; ms: number }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.badSignature
    ? sign(`${secret}x`, timestamp, body)
    : sign(secret, timestamp, body);
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": options.contentType ?? "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signature,
      ...options.headers,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - t0 };
}
