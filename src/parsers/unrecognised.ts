import { DiagbotError } from "../model/errors.js";

/** Thrown by a parser when not one line of its expected format was found. */
export class UnrecognisedOutputError extends DiagbotError {
  constructor(collector: string, detail = "no line of the expected format was found") {
    super("unrecognised-output", `${collector}: ${detail}`, {
      hint: `check that the file really holds output of the ${collector} collector's command`,
    });
  }
}
