import type { Symptom } from "../model/report.js";

/** Weight of a rule for a symptom: 1.0 when it lists the symptom or for `health`, else 0.5. */
export function symptomWeight(symptoms: readonly Symptom[], symptom: Symptom): number {
  if (symptom === "health" || symptoms.includes(symptom)) return 1;
  return 0.5;
}
