#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

// A diagnosis or a sweep runs for seconds over many small outputs: V8's default budget makes
// it optimise hundreds of functions that then run a few times (a fifth of a 50-host sweep's
// CPU went to the optimising compiler). Eight times the budget (V8's --interrupt-budget,
// 67584 bytes of bytecode run) keeps that for code that is really hot: a sweep's CPU falls by
// 12-16 %, and a single 85 MB parse takes 0-8 % longer (bench/README.md, "Sweeps"). Set before
// any of diagbot's modules is compiled.
setFlagsFromString("--interrupt-budget=540672");
const { main } = await import("../dist/main/cli.js");
process.exitCode = await main(process.argv);
