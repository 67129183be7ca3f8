/**
 * One rules hash for agent, web app and scripts. The vectors were computed with the agent's `canonicalizeRules`
 * before the schema moved here (they are PRODUCT.md's example and three edge documents); the e2e runner also
 * compares the browser's hash live against `POST /api/rules`.
 */
import { expect } from "chai";
import { keccak256, stringToBytes } from "viem";
import { ZodError } from "zod";
import {
  hashRulesDocument,
  type RulesDocument,
  rulesDocumentSchema,
  rulesHashOf,
} from "../src/rulesDocument.ts";

const VECTORS: { document: unknown; canonical: string; rulesHash: string }[] = [
  {
    document: {
      version: 1,
      timezone: "Europe/Berlin",
      perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
      evidence: "device",
    },
    canonical:
      '{"evidence":"device","perMilestone":{"activities":["run","ride","strength"],"minMinutes":30,"minWorkouts":3},"timezone":"Europe/Berlin","version":1}',
    rulesHash: "0x0bf2d2bc6d380295a06deb8e2d653208f2a65d380103265db0341e9c090c47c7",
  },
  {
    document: {
      evidence: "any",
      perMilestone: { activities: ["swim"], minMinutes: 0, minWorkouts: 1 },
      timezone: "America/Los_Angeles",
      version: 1,
    },
    canonical:
      '{"evidence":"any","perMilestone":{"activities":["swim"],"minMinutes":0,"minWorkouts":1},"timezone":"America/Los_Angeles","version":1}',
    rulesHash: "0xbf6501d9c64d5bd0ae8159358d2458ab3e076d4ecb14710c71d3e0f805c7fcdb",
  },
  {
    document: {
      version: 1,
      timezone: "Asia/Kolkata",
      perMilestone: {
        minWorkouts: 50,
        minMinutes: 600,
        activities: ["other", "row", "walk", "run", "ride", "swim", "strength"],
      },
      evidence: "device",
    },
    canonical:
      '{"evidence":"device","perMilestone":{"activities":["other","row","walk","run","ride","swim","strength"],"minMinutes":600,"minWorkouts":50},"timezone":"Asia/Kolkata","version":1}',
    rulesHash: "0x6b5c9348bd44ff69349aae3f61ff9488e87d003e4229056a868c79c2eb63d4ad",
  },
  {
    document: {
      version: 1,
      timezone: "UTC",
      perMilestone: { minWorkouts: 1, minMinutes: 1, activities: ["run"] },
      evidence: "any",
    },
    canonical:
      '{"evidence":"any","perMilestone":{"activities":["run"],"minMinutes":1,"minWorkouts":1},"timezone":"UTC","version":1}',
    rulesHash: "0x20dea6d95c1bc763a1134f1f49a943a42324f9f5810662ac629a25531dba0cab",
  },
];

describe("rulesHashOf", () => {
  for (const [i, v] of VECTORS.entries()) {
    it(`matches vector #${i + 1}`, () => {
      const result = rulesHashOf(v.document as RulesDocument);
      expect(result.canonical).to.equal(v.canonical);
      expect(result.rulesHash).to.equal(v.rulesHash);
      expect(result.rulesHash).to.equal(keccak256(stringToBytes(v.canonical)));
    });
  }

  it("keeps the order of activities (a different order is a different hash)", () => {
    const a = rulesHashOf(VECTORS[0]?.document as RulesDocument);
    const reordered = structuredClone(VECTORS[0]?.document) as RulesDocument;
    reordered.perMilestone.activities = ["strength", "run", "ride"];
    expect(rulesHashOf(reordered).rulesHash).not.to.equal(a.rulesHash);
  });

  it("rejects unknown keys, a bad time zone, repeated or unknown activities, and another version", () => {
    const base = VECTORS[0]?.document as RulesDocument;
    expect(() => rulesHashOf({ ...base, color: "red" } as RulesDocument)).to.throw(ZodError);
    expect(() => rulesHashOf({ ...base, timezone: "Mars/Olympus" })).to.throw(ZodError);
    expect(() =>
      rulesHashOf({ ...base, perMilestone: { ...base.perMilestone, activities: ["run", "run"] } }),
    ).to.throw(ZodError, /must not repeat an activity/);
    expect(() =>
      rulesHashOf({ ...base, perMilestone: { ...base.perMilestone, activities: ["skate" as "run"] } }),
    ).to.throw(ZodError);
    expect(() => rulesHashOf({ ...base, version: 2 as 1 })).to.throw(ZodError);
    expect(() =>
      rulesHashOf({
        ...base,
        perMilestone: { ...base.perMilestone, extra: 1 } as RulesDocument["perMilestone"],
      }),
    ).to.throw(ZodError);
  });

  it("hashRulesDocument hashes a parsed document without parsing it again (same result)", () => {
    const parsed = rulesDocumentSchema.parse(VECTORS[1]?.document);
    expect(hashRulesDocument(parsed)).to.deep.equal({
      canonical: VECTORS[1]?.canonical,
      rulesHash: VECTORS[1]?.rulesHash,
    });
  });
});
