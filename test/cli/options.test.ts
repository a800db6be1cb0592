import { describe, expect, it } from "vitest";
import { DiagbotError } from "../../src/model/errors.js";
import {
  parseLabel,
  parsePid,
  parseProcessName,
  parseSymptom,
  parseWindow,
} from "../../src/model/request.js";

describe("diagnose options", () => {
  it("reads windows as 5, 5s or 1500ms, in whole seconds from 1 to 60", () => {
    expect(parseWindow("5")).toBe(5);
    expect(parseWindow("5s")).toBe(5);
    expect(parseWindow("1500ms")).toBe(2);
    expect(parseWindow("60s")).toBe(60);
    expect(parseWindow("1m")).toBe(60);
  });

  it.each(["0", "0.5s", "61", "2m", "five", "", "5 s; rm -rf /"])(
    "refuses window %j naming the value",
    (bad) => {
      expect(() => parseWindow(bad)).toThrow(DiagbotError);
      expect(() => parseWindow(bad)).toThrow(JSON.stringify(bad));
    },
  );

  it("says which is wrong: the range, or the form", () => {
    expect(() => parseWindow("61")).toThrow(/: expected 1 s to 60 s$/);
    expect(() => parseWindow("five")).toThrow(/: not a duration$/);
  });

  it("defaults the symptom to health and lists the choices for a bad one", () => {
    expect(parseSymptom(undefined)).toBe("health");
    expect(parseSymptom("latency")).toBe("latency");
    expect(() => parseSymptom("slow")).toThrow(/unknown symptom "slow"/);
    try {
      parseSymptom("slow");
    } catch (err) {
      expect((err as DiagbotError).hint).toContain("latency");
    }
  });

  it("takes a pid only as a positive integer", () => {
    expect(parsePid("4242")).toBe(4242);
    expect(parsePid("4194303")).toBe(4194303);
    for (const bad of ["0", "-1", "1 2", "12a", "$(id)", "99999999999", "4194304"])
      expect(() => parsePid(bad)).toThrow(DiagbotError);
  });

  it("takes any comm value as ps shows it: 1 to 63 printable bytes, never a newline or NUL", () => {
    // proc(5): comm is the executable's name cut to TASK_COMM_LEN - 1 = 15 bytes; threads
    // rename themselves freely (`Web Content`); a workqueue worker is shown with its
    // workqueue (`kworker/0:1H-kblockd`), up to 63 bytes.
    const comms = ["nginx", "kworker/0:1H", "kworker/0:1H-kblockd", "Web Content", "x".repeat(63)];
    for (const comm of comms) {
      expect(parseProcessName(comm)).toBe(comm);
    }
    for (const bad of ["", "x".repeat(64), "a\nb", "a\0b", "tab\there"]) {
      expect(() => parseProcessName(bad)).toThrow(DiagbotError);
    }
  });

  it("takes replay labels of letters, digits and ._-", () => {
    expect(parseLabel("host-42.prod_1")).toBe("host-42.prod_1");
    expect(() => parseLabel("a/b")).toThrow(DiagbotError);
  });
});
