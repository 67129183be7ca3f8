/**
 * The rules document a commitment's `rulesHash` commits to, and its hash computed in the browser:
 * `rulesHash = keccak256(utf8(RFC 8785 JSON))` — the same function as the agent's `canonicalizeRules`
 * (agent/src/rules/rulesDocument.ts), so anyone can recompute it. Arrays keep their order.
 */
import canonicalize from "canonicalize";
import { type Hex, keccak256, stringToBytes } from "viem";
import { z } from "zod";
import { SPORTS } from "../api/schemas.ts";

function isIanaTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Mirrors the agent's schema: strict, version 1. */
export const rulesDocumentSchema = z.strictObject({
  version: z.literal(1),
  timezone: z.string().min(1).max(64).refine(isIanaTimeZone, "must be an IANA time zone, e.g. Europe/Berlin"),
  perMilestone: z.strictObject({
    minWorkouts: z.number().int().min(1).max(50),
    minMinutes: z.number().int().min(0).max(600),
    activities: z
      .array(z.enum(SPORTS))
      .min(1)
      .max(SPORTS.length)
      .refine((a) => new Set(a).size === a.length, "must not repeat an activity"),
  }),
  evidence: z.enum(["device", "any"]),
});

export type RulesDocument = z.infer<typeof rulesDocumentSchema>;

export interface RulesHashReturnType {
  canonical: string;
  rulesHash: Hex;
}

/** RFC 8785 canonical JSON of a valid rules document and its keccak256. Throws on an invalid document. */
export function rulesHashOf(document: RulesDocument): RulesHashReturnType {
  const parsed = rulesDocumentSchema.parse(document);
  const canonical = canonicalize(parsed);
  if (canonical === undefined) throw new Error("rules document cannot be serialised");
  return { canonical, rulesHash: keccak256(stringToBytes(canonical)) };
}
