import { describe, expect, it } from "vitest";
import { FACT_CATALOGUE, MODULES, onlyNeeded } from "../../src/derive/index.js";
import { SOURCES } from "../../src/sources/index.js";

/**
 * Each derive module declares the sources it reads (`needs`) and is given only their parsed
 * output; a fact's `from` is the module's `needs` unless it names fewer.
 */
describe("derive modules read only the sources they need", () => {
  const registered = SOURCES.map((s) => s.id as string);

  it("names only registered sources, and every fact's sources are among its module's", () => {
    for (const m of MODULES) {
      for (const id of m.needs) expect(registered, `${m.id} needs ${id}`).toContain(id);
      const paths = new Set(m.provides.map((p) => p.path));
      const facts = FACT_CATALOGUE.filter((f) => paths.has(f.path));
      expect(facts.length, m.id).toBe(m.provides.length);
      for (const fact of facts) {
        expect(fact.from.length, fact.path).toBeGreaterThan(0);
        for (const id of fact.from) expect(m.needs, `${fact.path} from ${id}`).toContain(id);
      }
    }
  });

  it("gives a module the parsed output of its sources and nothing else", () => {
    const everything = new Map(registered.map((id) => [id, { facts: { id } }]));
    const view = onlyNeeded(everything, ["iostat", "diskstats", "pressure-io"]);
    expect([...view.keys()]).toEqual(["iostat", "diskstats", "pressure-io"]);
    expect(view.get("iostat")).toEqual({ facts: { id: "iostat" } });
    expect(view.get("meminfo")).toBeUndefined();
    expect(onlyNeeded(new Map(), ["iostat"]).size).toBe(0);
  });
});
