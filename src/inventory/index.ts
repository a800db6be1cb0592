/** Inventory loading, target resolution and host-key pins. */
export * from "./inventory.js";
export * from "./known-hosts.js";
