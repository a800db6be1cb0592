import { readFileSync } from "node:fs";
import type { RedactionClass } from "../../src/redact/index.js";

/** One planted secret: its class and shape, the value, and the output it hides in. */
export interface PlantedSecret {
  class: RedactionClass;
  shape: string;
  /** Where it was seen: `top -c`, `ps auxww`, execsnoop, dmesg, an environment dump… */
  context: string;
  secret: string;
  text: string;
}

/**
 * The redaction corpus (made-up values of real shapes; none is a real credential). The key
 * blocks' armour lines are assembled here, at test time: the file writes
 * `<key-armour:BEGIN:RSA:>` for the armour line `BEGIN RSA PRIVATE KEY` between five dashes
 * each side (and `:BLOCK` for PGP's `PRIVATE KEY BLOCK`), so that the repository holds nothing a
 * secret scanner takes for a key.
 */
export const CORPUS: PlantedSecret[] = JSON.parse(
  readFileSync(new URL("../fixtures/redaction/secrets.json", import.meta.url), "utf8").replace(
    /<key-armour:(BEGIN|END):([A-Z]*):(BLOCK)?>/g,
    (_, edge: string, kind: string, block?: string) =>
      `-----${edge} ${kind ? `${kind} ` : ""}PRIVATE KEY${block ? " BLOCK" : ""}-----`,
  ),
);

/**
 * The first piece of `secret` at least 8 characters long (or the whole of a shorter one) that
 * `text` still holds, or undefined: a redacted text must hold none.
 */
export function leaked(text: string, secret: string): string | undefined {
  if (secret.length < 8) return text.includes(secret) ? secret : undefined;
  for (let i = 0; i + 8 <= secret.length; i++) {
    const piece = secret.slice(i, i + 8);
    if (text.includes(piece)) return piece;
  }
  return undefined;
}
