/**
 * `POST /api/rules` with `{ "rules": <rules document> }` → `200 { rulesHash, canonical }`.
 * The document sits under `rules` (not as the body itself) so the request can grow options later without
 * ambiguity. A body that is not `{ rules }` → 400 naming the field; a rules document that fails validation →
 * 422 `invalid_rules` naming the field inside it (`rules.perMilestone.minWorkouts`, `rules.color` for an
 * unknown key).
 *
 * With a store, the canonical document is also kept (`rulesDocuments`, idempotent: the same document twice is one
 * row), so the agent knows the rules of every commitment whose hash went through here.
 */
import { Router } from "express";
import { z } from "zod";
import { NotFoundError, ValidationError } from "../errors.ts";
import { canonicalizeRules, rulesDocumentSchema } from "../rules/rulesDocument.ts";
import type { Repositories } from "../store/store.ts";
import { parseJsonBody, parseParams } from "./parseRequest.ts";
import { badRequestFromIssues } from "./problem.ts";

export const rulesRequest = z.strictObject({
  rules: z.unknown().refine((value) => value !== undefined, { error: "is required" }),
});

export const hashParams = z.object({
  hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex hash"),
});

export interface RulesRouterParameters {
  /** Where canonical documents are kept; without it the route only canonicalises. */
  store?: Pick<Repositories, "rulesDocuments">;
}

export type RulesRouterReturnType = Router;

export function rulesRouter({ store }: RulesRouterParameters = {}): RulesRouterReturnType {
  const router = Router();
  router.post("/", async (req, res) => {
    const { rules } = parseJsonBody(req, rulesRequest);
    const parsed = rulesDocumentSchema.safeParse(rules);
    if (!parsed.success) {
      // Same naming as a malformed request, but a 422: the request is fine, the document is not.
      const named = badRequestFromIssues(parsed.error.issues, { code: "invalid_rules", prefix: "rules" });
      throw new ValidationError({ code: named.code, message: named.message, details: named.details });
    }
    const { rulesHash, canonical } = canonicalizeRules(parsed.data);
    await store?.rulesDocuments.put(rulesHash, canonical);
    res.json({ rulesHash, canonical });
  });
  router.get("/:hash", async (req, res) => {
    const { hash } = parseParams(req, hashParams);
    const rulesHash = hash.toLowerCase();
    const record = (await store?.rulesDocuments.get(rulesHash)) ?? null;
    if (record === null) {
      throw new NotFoundError({
        code: "rules_not_found",
        message: `No rules document with hash ${rulesHash} went through this agent.`,
        details: { rulesHash },
      });
    }
    res.json({ rulesHash: record.rulesHash, rules: JSON.parse(record.canonicalJson) as unknown });
  });
  return router;
}
