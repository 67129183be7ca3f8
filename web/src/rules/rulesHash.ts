/**
 * The rules document a commitment's `rulesHash` commits to, and its hash computed in the browser:
 * `rulesHash = keccak256(utf8(RFC 8785 JSON))`. Schema and hash live once in the shared vocabulary
 * (packages/vocabulary/src/rulesDocument.ts), the same code the agent's `canonicalizeRules` runs, so anyone can
 * recompute it. Arrays keep their order.
 */
export {
  type RulesDocument,
  type RulesHashReturnType,
  rulesDocumentSchema,
  rulesHashOf,
} from "@resolution-autopilot/vocabulary";
