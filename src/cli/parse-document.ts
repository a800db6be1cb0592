import type { Problem, RowSink } from "../parsers/types.js";

/** Rows serialised per `JSON.stringify` call: some 10 to 60 kB of text, a small string each. */
const BATCH = 128;

/**
 * Writes the document of `diagbot parse --json`,
 * `{"collector":…,"facts":{…},"problems":[…]}`, as compact JSON (one line, as `jc` prints)
 * while the parser runs.
 *
 * Rows handed to {@link row} (the parser's {@link RowSink}) are serialised a batch at a time
 * as they arrive and then dropped, so a table of any size is printed in bounded memory; they
 * come first in `facts`, under their table's key, followed by the other facts that {@link end}
 * receives. Without streamed rows the document is `JSON.stringify` of the whole. Either way
 * the document parses to the same value as the facts a parser returns without a sink.
 *
 * `write` must take the text at once (process.stdout does, for files, pipes and terminals on
 * Linux).
 *
 * @throws Error from {@link row} when rows of a second table arrive: one table streams.
 */
export class ParseDocumentWriter {
  private table: string | undefined;
  private batch: object[] = [];
  private written = 0;

  constructor(
    private readonly collector: string,
    private readonly write: (text: string) => void,
  ) {}

  /** The sink to hand to the parser. */
  readonly row: RowSink = (table, row) => {
    if (this.table === undefined) {
      this.table = table;
      this.write(
        `{"collector":${JSON.stringify(this.collector)},"facts":{${JSON.stringify(table)}:[`,
      );
    } else if (table !== this.table) {
      throw new Error(`rows of ${table} after rows of ${this.table}: only one table streams`);
    }
    this.batch.push(row);
    if (this.batch.length === BATCH) this.flush();
  };

  /** Writes the rest: the other facts (the streamed table's key in `facts` is skipped). */
  end(facts: object, problems: Problem[]): void {
    if (this.table === undefined) {
      this.write(`${JSON.stringify({ collector: this.collector, facts, problems })}\n`);
      return;
    }
    this.flush();
    let rest = "]";
    for (const [key, value] of Object.entries(facts)) {
      if (key === this.table) continue;
      const text = JSON.stringify(value) as string | undefined;
      if (text !== undefined) rest += `,${JSON.stringify(key)}:${text}`;
    }
    this.write(`${rest}},"problems":${JSON.stringify(problems)}}\n`);
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const text = JSON.stringify(this.batch);
    this.write(`${this.written > 0 ? "," : ""}${text.slice(1, -1)}`);
    this.written += this.batch.length;
    this.batch = [];
  }
}
