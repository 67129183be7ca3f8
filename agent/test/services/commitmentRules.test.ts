import { expect } from "chai";
import { createRulesLookup } from "../../src/services/commitmentRules.ts";
import type {
  RulesDocumentRecord,
  RulesDocumentsRepository,
} from "../../src/store/rulesDocumentsRepository.ts";

const HASH = `0x${"ab".repeat(32)}` as const;
const OTHER = `0x${"cd".repeat(32)}` as const;
const RULES = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run"] },
  evidence: "device",
};

/** A rules repository that counts its reads (a fresh one per test: the lookup keeps documents per repository). */
function countingRepository(documents: Record<string, string>) {
  const repository = {
    reads: 0,
    put: async () => {
      throw new Error("not used");
    },
    get: async (rulesHash: string): Promise<RulesDocumentRecord | null> => {
      repository.reads += 1;
      const canonicalJson = documents[rulesHash];
      return canonicalJson === undefined
        ? null
        : ({ rulesHash, canonicalJson, createdAt: new Date(0) } as unknown as RulesDocumentRecord);
    },
  };
  return repository;
}

describe("rules lookup", () => {
  it("reads a document once per process, and hands every caller the same frozen document", async () => {
    const rulesDocuments = countingRepository({ [HASH]: JSON.stringify(RULES) });
    const repositories = { rulesDocuments: rulesDocuments as unknown as RulesDocumentsRepository };
    const first = await createRulesLookup({ repositories })(HASH);
    if (first === null) throw new Error("the document was not found");
    expect(first.perMilestone.minWorkouts).to.equal(3);
    // A caller cannot change it for the others, at any depth.
    expect(Object.isFrozen(first)).to.equal(true);
    expect(Object.isFrozen(first.perMilestone)).to.equal(true);
    expect(Object.isFrozen(first.perMilestone.activities)).to.equal(true);
    expect(() => {
      (first.perMilestone as { minWorkouts: number }).minWorkouts = 99;
    }).to.throw(TypeError);
    expect(() => (first.perMilestone.activities as string[]).push("ride")).to.throw(TypeError);
    const second = await createRulesLookup({ repositories })(`0x${"AB".repeat(32)}`); // case-insensitive
    expect(second).to.equal(first);
    expect(second?.perMilestone).to.deep.equal(RULES.perMilestone);
    expect(rulesDocuments.reads).to.equal(1);
  });

  it("asks again for a hash it did not find or could not parse (POST /api/rules may add it later)", async () => {
    const rulesDocuments = countingRepository({ [OTHER]: '{"version":1}' });
    const repositories = { rulesDocuments: rulesDocuments as unknown as RulesDocumentsRepository };
    expect(await createRulesLookup({ repositories })(HASH)).to.equal(null);
    expect(await createRulesLookup({ repositories })(HASH)).to.equal(null);
    expect(await createRulesLookup({ repositories })(OTHER)).to.equal(null);
    expect(await createRulesLookup({ repositories })(OTHER)).to.equal(null);
    expect(rulesDocuments.reads).to.equal(4);
  });
});
