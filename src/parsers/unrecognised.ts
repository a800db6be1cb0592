import { DiagbotError } from "../model/errors.js";

/** Thrown by a parser when not one line of its expected format was found. */
export class UnrecognisedOutputError extends DiagbotError {
  constructor(
    collector: string,
    /** What was wrong with the output, without the collector id in front. */
    readonly detail = "no line of the expected format was found",
  ) {
    super("unrecognised-output", `${collector}: ${detail}`, {
      hint: `check that the file really holds output of the ${collector} collector's command`,
    });
  }
}

/**
 * Thrown when an output is refused as not of its format (binary, or hardly a line
 * recognised): `detail` reads "not <id> output: <why>".
 */
export class RefusedOutputError extends UnrecognisedOutputError {}
