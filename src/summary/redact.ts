export * from "../redact/index.js";
