import canonicalize from "canonicalize";
import { type Hex, keccak256, toBytes } from "viem";
import { z } from "zod";
import { ValidationError } from "../errors.ts";

/** Sports a rules document can name (the Workout `sport` values). */
export const SPORTS = ["run", "ride", "walk", "swim", "strength", "row", "other"] as const;
export type Sport = (typeof SPORTS)[number];

function isIanaTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/**
 * The rules document a commitment's `rulesHash` commits to (PRODUCT.md, "Rules document"). Strict: unknown
 * keys are errors, so two people cannot hash "the same rules" with different extra fields by accident.
 */
export const rulesDocumentSchema = z
  .object({
    version: z.literal(1),
    timezone: z
      .string()
      .min(1)
      .max(64)
      .refine(isIanaTimeZone, "must be an IANA time zone, e.g. Europe/Berlin"),
    perMilestone: z
      .object({
        minWorkouts: z.number().int().min(1).max(50),
        minMinutes: z.number().int().min(0).max(600),
        activities: z
          .array(z.enum(SPORTS))
          .min(1)
          .max(SPORTS.length)
          .refine((a) => new Set(a).size === a.length, "must not repeat an activity"),
      })
      .strict(),
    evidence: z.enum(["device", "any"]),
  })
  .strict();

export type RulesDocument = z.infer<typeof rulesDocumentSchema>;

export interface CanonicalRules {
  document: RulesDocument;
  /** RFC 8785 (JCS) serialisation of the document. */
  canonical: string;
  /** keccak256 of the UTF-8 bytes of `canonical`: the value stored on chain. */
  rulesHash: Hex;
}

/**
 * Validates a rules document and returns its canonical form and hash:
 * `rulesHash = keccak256(utf8(JCS(document)))`. The document is hashed as given (arrays keep their order);
 * nothing is reordered, so anyone can recompute the hash from the document alone.
 */
export function canonicalizeRules(input: unknown): CanonicalRules {
  const parsed = rulesDocumentSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "(document)";
    throw new ValidationError({
      code: "invalid_rules",
      message: `rules document: ${field}: ${issue?.message ?? "invalid"}`,
      details: {
        field,
        issues: parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })),
      },
    });
  }
  const canonical = canonicalize(parsed.data);
  if (canonical === undefined) {
    throw new ValidationError({ code: "invalid_rules", message: "rules document cannot be serialised" });
  }
  return { document: parsed.data, canonical, rulesHash: keccak256(toBytes(canonical)) };
}
