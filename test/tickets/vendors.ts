import { verifyWebhook } from "../../src/tickets/sign.js";
import { type Call, multipartFiles, route, standIn } from "./stand-in.js";

/**
 * Stand-ins for the endpoints each sink uses, as each vendor documents them. They check the
 * authentication header and answer 401 without it, 404 for an unknown issue, keep what was
 * posted, and record every call.
 */

const notFound = {
  status: 404,
  body: {
    errorMessages: ["Issue does not exist or you do not have permission to see it."],
    errors: {},
  },
};

/** An issue a stand-in opened (`POST .../issue` or `POST /repos/O/R/issues`), with its comments. */
export interface OpenedIssue {
  key: string;
  fields: Record<string, unknown>;
  comments: unknown[];
}

/**
 * Jira: `POST /rest/api/N/issue` (in `project`: 201 with `{ id, key, self }`; 400 as Jira answers
 * for another project, a summary over 255 characters, or a description not of the flavour:
 * ADF on Cloud, text on Data Center), then comments on the issues it opened;
 * `GET /rest/api/N/issue/KEY/comment`, `GET /rest/api/N/issue/KEY?fields=attachment`,
 * `POST /rest/api/N/issue/KEY/attachments` (multipart, `X-Atlassian-Token: no-check`, else 403
 * as Jira's XSRF check does), `POST /rest/api/N/issue/KEY/comment`. Cloud (N=3) takes
 * `Authorization: Basic base64(email:token)`, Data Center (N=2) `Authorization: Bearer PAT`.
 */
export async function jiraStandIn(options: {
  flavour: "cloud" | "datacenter";
  auth: string;
  issue: string;
  project?: string;
}) {
  const v = options.flavour === "cloud" ? 3 : 2;
  const comments: { id: string; body: unknown }[] = [];
  const attachments: { filename: string; data: Buffer }[] = [];
  const opened: OpenedIssue[] = [];
  const server = await standIn(async (call: Call) => {
    if (call.headers.authorization !== options.auth) return { status: 401, body: "Unauthorized" };
    const { path, query } = route(call);
    if (call.method === "POST" && path === `/rest/api/${v}/issue`) {
      const { fields } = JSON.parse(call.body.toString("utf8")) as {
        fields: {
          project?: { key?: string };
          summary?: string;
          issuetype?: { name?: string };
          description?: unknown;
        };
      };
      const description =
        options.flavour === "cloud"
          ? (fields.description as { type?: string } | undefined)?.type === "doc"
          : typeof fields.description === "string";
      const errors = {
        ...(fields.project?.key !== options.project
          ? { project: "valid project is required" }
          : {}),
        ...(!fields.summary || fields.summary.length > 255
          ? { summary: "Summary must be less than 255 characters." }
          : {}),
        ...(!fields.issuetype?.name ? { issuetype: "valid issue type is required" } : {}),
        ...(!description ? { description: "Operation value must be a string" } : {}),
      };
      if (Object.keys(errors).length > 0)
        return { status: 400, body: { errorMessages: [], errors } };
      const key = `${options.project}-${101 + opened.length}`;
      opened.push({ key, fields, comments: [] });
      return {
        status: 201,
        body: {
          id: String(20000 + opened.length),
          key,
          self: `${server.url}/rest/api/${v}/issue/${key}`,
        },
      };
    }
    const own = opened.find((i) => path === `/rest/api/${v}/issue/${i.key}/comment`);
    if (own && call.method === "POST") {
      const { body } = JSON.parse(call.body.toString("utf8")) as { body: unknown };
      own.comments.push(body);
      return { status: 201, body: { id: String(30000 + own.comments.length), body } };
    }
    const base = `/rest/api/${v}/issue/${options.issue}`;
    if (!path.startsWith(base)) return notFound;
    if (call.method === "GET" && path === `${base}/comment`) {
      const startAt = Number(query.get("startAt") ?? 0);
      const max = Number(query.get("maxResults") ?? 50);
      return {
        status: 200,
        body: {
          startAt,
          maxResults: max,
          total: comments.length,
          comments: comments.slice(startAt, startAt + max),
        },
      };
    }
    if (call.method === "GET" && path === base) {
      return {
        status: 200,
        body: {
          key: options.issue,
          fields: {
            attachment: attachments.map((a, i) => ({ id: String(i), filename: a.filename })),
          },
        },
      };
    }
    if (call.method === "POST" && path === `${base}/attachments`) {
      if (call.headers["x-atlassian-token"] !== "no-check")
        return { status: 403, body: "XSRF check failed" };
      const files = await multipartFiles(call);
      for (const f of files) attachments.push({ filename: f.name, data: f.data });
      return {
        status: 200,
        body: files.map((f, i) => ({
          id: String(attachments.length + i),
          filename: f.name,
          size: f.data.length,
        })),
      };
    }
    if (call.method === "POST" && path === `${base}/comment`) {
      const { body } = JSON.parse(call.body.toString("utf8")) as { body: unknown };
      // Jira's 32,767-character comment limit: the wiki text (Data Center), the ADF's JSON (Cloud).
      const length = typeof body === "string" ? body.length : JSON.stringify(body).length;
      if (length > 32_767)
        return {
          status: 400,
          body: {
            errorMessages: [],
            errors: {
              comment:
                "The entered text is too long. It exceeds the allowed limit of 32,767 characters.",
            },
          },
        };
      const id = String(10000 + comments.length);
      comments.push({ id, body });
      return { status: 201, body: { id, body } };
    }
    return { status: 405, body: "no such route" };
  });
  return { ...server, comments, attachments, opened };
}

/**
 * GitHub: `GET /repos/O/R/issues/N/comments` (JSON array, paginated by `per_page`) and
 * `POST` to it (201 with the comment); `POST /repos/O/R/issues` (201 with `number` and
 * `html_url`; 422 without a title) and comments on the issues it opened. Takes `Authorization: token T` or `Bearer T`; refuses
 * a body over 65,536 characters with 422 as GitHub does.
 */
export async function githubStandIn(options: { token: string; repo: string; number: number }) {
  const comments: { id: number; body: string; html_url: string }[] = [];
  const opened: OpenedIssue[] = [];
  const server = await standIn((call: Call) => {
    const auth = call.headers.authorization;
    if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) {
      return {
        status: 401,
        body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" },
      };
    }
    const { path } = route(call);
    if (call.method === "POST" && path === `/repos/${options.repo}/issues`) {
      const fields = JSON.parse(call.body.toString("utf8")) as { title?: string; body?: string };
      if (!fields.title)
        return {
          status: 422,
          body: {
            message: "Validation Failed",
            errors: [{ field: "title", code: "missing_field" }],
          },
        };
      const number = options.number + 1 + opened.length;
      opened.push({ key: String(number), fields, comments: [] });
      const html_url = `https://github.example/${options.repo}/issues/${number}`;
      return { status: 201, body: { number, html_url, title: fields.title } };
    }
    const own = opened.find((i) => path === `/repos/${options.repo}/issues/${i.key}/comments`);
    if (own && call.method === "POST") {
      const { body } = JSON.parse(call.body.toString("utf8")) as { body: string };
      own.comments.push(body);
      return { status: 201, body: { id: 700 + own.comments.length, body } };
    }
    if (path !== `/repos/${options.repo}/issues/${options.number}/comments`)
      return { status: 404, body: { message: "Not Found" } };
    if (call.method === "GET") return { status: 200, body: comments };
    const { body } = JSON.parse(call.body.toString("utf8")) as { body: string };
    if (body.length > 65_536)
      return {
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [
            {
              field: "body",
              code: "custom",
              message: "body is too long (maximum is 65536 characters)",
            },
          ],
        },
      };
    const id = 900 + comments.length;
    const comment = {
      id,
      body,
      html_url: `https://github.example/${options.repo}/issues/${options.number}#issuecomment-${id}`,
    };
    comments.push(comment);
    return { status: 201, body: comment };
  });
  return { ...server, comments, opened };
}

/**
 * PagerDuty: REST `GET/POST /incidents/ID/notes` (`Authorization: Token token=T`, the v2
 * `Accept`, and on POST a `From` email, else 400 as PagerDuty answers) and Events API v2
 * `POST /v2/enqueue` (202 with `dedup_key`; 400 for a body missing what the API requires).
 */
export async function pagerdutyStandIn(options: {
  token: string;
  incident: string;
  routingKey: string;
}) {
  const notes: { content: string }[] = [];
  const events: Record<string, unknown>[] = [];
  const server = await standIn((call: Call) => {
    const { path } = route(call);
    if (path === "/v2/enqueue") {
      const e = JSON.parse(call.body.toString("utf8")) as {
        routing_key?: string;
        event_action?: string;
        dedup_key?: string;
        payload?: { summary?: string; source?: string; severity?: string };
      };
      const triggerOk =
        e.event_action !== "trigger" ||
        (e.payload?.summary && e.payload.source && e.payload.severity);
      if (e.routing_key !== options.routingKey || !triggerOk || !e.dedup_key) {
        return {
          status: 400,
          body: {
            status: "invalid event",
            message: "Event object is invalid",
            errors: ["bad event"],
          },
        };
      }
      events.push(e);
      return {
        status: 202,
        body: { status: "success", message: "Event processed", dedup_key: e.dedup_key },
      };
    }
    if (call.headers.authorization !== `Token token=${options.token}`)
      return { status: 401, body: { error: { message: "Unauthorized", code: 2006 } } };
    if (call.headers.accept !== "application/vnd.pagerduty+json;version=2")
      return { status: 406, body: "" };
    if (path !== `/incidents/${options.incident}/notes`)
      return { status: 404, body: { error: { message: "Not Found", code: 2100 } } };
    if (call.method === "GET") return { status: 200, body: { notes } };
    if (!call.headers.from)
      return {
        status: 400,
        body: { error: { message: "Invalid Input Provided", errors: ["From header is required"] } },
      };
    const { note } = JSON.parse(call.body.toString("utf8")) as { note: { content: string } };
    notes.push(note);
    return { status: 201, body: { note: { id: "PWL7QXS", content: note.content } } };
  });
  return { ...server, notes, events };
}

/** A webhook receiver that checks `X-Diagbot-Signature` over `<timestamp>.<raw body>`. */
export async function webhookReceiver(secret: string) {
  const delivered: unknown[] = [];
  const server = await standIn((call: Call) => {
    const ok = verifyWebhook(
      call.body.toString("utf8"),
      String(call.headers["x-diagbot-timestamp"]),
      String(call.headers["x-diagbot-signature"]),
      secret,
    );
    if (!ok) return { status: 401, body: "bad signature" };
    delivered.push(JSON.parse(call.body.toString("utf8")));
    return { status: 204 };
  });
  return { ...server, delivered };
}
