import Mustache from "mustache";
import { redactText } from "../redact/index.js";

/**
 * The subject of a finding and its key (DESIGN.md "Runbooks", "Sweeps").
 *
 * A rule's `subject:` template names what the finding is about: a device (`sda`), a mount
 * (`/var`), a cgroup, a process name, an interface, a listening address, or `host` for rules
 * about the whole host. It is filled from the same facts as the title; a fact the host did not
 * give renders empty, and an empty subject is `host`.
 *
 * A key is `host/rule/subject`. The subject is normalised so that a key splits on its first two
 * slashes and fits in one token:
 * - leading and trailing white space is removed, inner runs of white space become one space;
 * - every byte of its UTF-8 form outside `A-Z a-z 0-9 . _ - : @ + = , [ ]` is percent-encoded
 *   (RFC 3986 style, upper-case hex): `/` is `%2F`, a space `%20`, `%` itself `%25`;
 * - it is cut to {@link MAX_SUBJECT} characters (never inside an escape).
 * So the mount `/var/log` gives `%2Fvar%2Flog`, the root file system `%2F`, and
 * `decodeURIComponent` gives the original text back.
 */

/** The subject of a host-wide finding, and of a template that rendered empty. */
export const HOST_SUBJECT = "host";

/** Longest normalised subject, characters. */
export const MAX_SUBJECT = 200;

const KEPT = /[A-Za-z0-9._\-:@+=,[\]]/;

/** Normalises a rendered subject as described above. */
export function normaliseSubject(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, " ");
  let out = "";
  for (const ch of trimmed) {
    const part = KEPT.test(ch)
      ? ch
      : [...Buffer.from(ch, "utf8")]
          .map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
          .join("");
    if (out.length + part.length > MAX_SUBJECT) break;
    out += part;
  }
  return out === "" ? HOST_SUBJECT : out;
}

/**
 * Renders a `subject:` template over the fact view (absent facts render empty), redacts it and
 * normalises it. Redacted first: once percent-encoded (`api_key%3D…`, `%2Fghp_…`), a secret in
 * a cgroup path or a process name no longer has the shape the redactor knows, and a key is
 * shown, posted and stored wherever its finding is.
 */
export function renderSubject(template: string, view: object): string {
  const rendered = Mustache.render(template, view, {}, { escape: (s: string) => s });
  return normaliseSubject(redactText(rendered).text);
}

/** `host/rule/subject`: the key of a finding, stable while the same rule holds for the same subject. */
export function findingKey(host: string, rule: string, subject: string): string {
  return `${host}/${rule}/${subject}`;
}
