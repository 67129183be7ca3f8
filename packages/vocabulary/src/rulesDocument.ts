/**
 * The rules document a commitment's `rulesHash` commits to (PRODUCT.md, "Rules document") and its hash:
 * `rulesHash = keccak256(utf8(RFC 8785 JSON))`. Agent, web app and scripts hash with this one function, so anyone
 * can recompute it from the document alone. Arrays keep their order: nothing is reordered.
 */
import canonicalize from "canonicalize";
import { type Hex, keccak256, stringToBytes } from "viem";
import { z } from "zod";
import { SPORTS } from "./sports.ts";

function isIanaTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/**
 * Strict, version 1: unknown keys are errors, so two people cannot hash "the same rules" with different extra
 * fields by accident.
 */
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
  /** RFC 8785 (JCS) serialisation of the document. */
  canonical: string;
  /** keccak256 of the UTF-8 bytes of `canonical`: the value stored on chain. */
  rulesHash: Hex;
}

/** The canonical form and hash of a document that already passed {@link rulesDocumentSchema}. */
export function hashRulesDocument(document: RulesDocument): RulesHashReturnType {
  const canonical = canonicalize(document);
  if (canonical === undefined) throw new TypeError("rules document cannot be serialised");
  return { canonical, rulesHash: keccak256(stringToBytes(canonical)) };
}

/** Validates `document` (throws the ZodError when invalid), then returns its canonical form and hash. */
export function rulesHashOf(document: RulesDocument): RulesHashReturnType {
  return hashRulesDocument(rulesDocumentSchema.parse(document));
}
