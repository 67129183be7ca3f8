/**
 * The agent's door to the shared rules document (packages/vocabulary): the schema and hash live there, once for
 * agent, web app and scripts; this module turns an invalid document into the agent's `ValidationError`.
 */
import { hashRulesDocument, type RulesDocument, rulesDocumentSchema } from "@resolution-autopilot/vocabulary";
import type { Hex } from "viem";
import { ValidationError } from "../errors.ts";

export {
  type RulesDocument,
  rulesDocumentSchema,
  SPORTS,
  type Sport,
} from "@resolution-autopilot/vocabulary";

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
  return { document: parsed.data, ...hashRulesDocument(parsed.data) };
}
