import { distance as levenshtein } from "fastest-levenshtein";

/** Suggestions for a mistyped host or group name. */

/**
 * Known names closest to `target`: those sharing the longest prefix with it first (then by
 * edit distance, then by name), plus near typos (edit distance <= 2). At most `limit`.
 */
export function closestNames(target: string, names: Iterable<string>, limit = 20): string[] {
  const t = target.toLowerCase().slice(0, 256);
  const scored: { name: string; prefix: number; distance: number }[] = [];
  for (const name of names) {
    const n = name.toLowerCase();
    let prefix = 0;
    while (prefix < n.length && prefix < t.length && n[prefix] === t[prefix]) prefix++;
    const distance = levenshtein(t, n);
    if (prefix > 0 || distance <= 2) scored.push({ name, prefix, distance });
  }
  scored.sort(
    (a, b) =>
      b.prefix - a.prefix ||
      a.distance - b.distance ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return scored.slice(0, limit).map((s) => s.name);
}
