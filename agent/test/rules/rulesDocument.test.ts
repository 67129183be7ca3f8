import { expect } from "chai";
import { keccak256, toBytes } from "viem";
import { ValidationError } from "../../src/errors.ts";
import { canonicalizeRules } from "../../src/rules/rulesDocument.ts";

/** The example of PRODUCT.md, "Rules document". */
const EXAMPLE = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
};
/** Its RFC 8785 form, written out by hand: keys sorted by code unit, no whitespace. */
const EXAMPLE_CANONICAL =
  '{"evidence":"device","perMilestone":{"activities":["run","ride","strength"],"minMinutes":30,"minWorkouts":3},"timezone":"Europe/Berlin","version":1}';

function expectInvalid(input: unknown, field: string): void {
  try {
    canonicalizeRules(input);
  } catch (error) {
    expect(error).to.be.instanceOf(ValidationError);
    expect((error as ValidationError).code).to.equal("invalid_rules");
    expect((error as ValidationError).details.field).to.equal(field);
    return;
  }
  expect.fail(`expected the rules document to be rejected at ${field}`);
}

describe("canonicalizeRules", () => {
  it("serialises the PRODUCT.md example in RFC 8785 form and hashes its UTF-8 bytes", () => {
    const { canonical, rulesHash } = canonicalizeRules(EXAMPLE);
    expect(canonical).to.equal(EXAMPLE_CANONICAL);
    expect(rulesHash).to.equal(keccak256(toBytes(EXAMPLE_CANONICAL)));
  });

  it("gives the same hash whatever the key order of the input", () => {
    const reordered = {
      evidence: "device",
      perMilestone: { activities: ["run", "ride", "strength"], minWorkouts: 3, minMinutes: 30 },
      version: 1,
      timezone: "Europe/Berlin",
    };
    expect(canonicalizeRules(reordered).rulesHash).to.equal(canonicalizeRules(EXAMPLE).rulesHash);
  });

  it("keeps the order of activities (a different order is a different document)", () => {
    const swapped = {
      ...EXAMPLE,
      perMilestone: { ...EXAMPLE.perMilestone, activities: ["ride", "run", "strength"] },
    };
    expect(canonicalizeRules(swapped).rulesHash).to.not.equal(canonicalizeRules(EXAMPLE).rulesHash);
  });

  it("rejects each malformed field and names it", () => {
    expectInvalid({ ...EXAMPLE, version: 2 }, "version");
    expectInvalid({ ...EXAMPLE, timezone: "Mars/Olympus" }, "timezone");
    expectInvalid({ ...EXAMPLE, evidence: "trust-me" }, "evidence");
    expectInvalid(
      { ...EXAMPLE, perMilestone: { ...EXAMPLE.perMilestone, minWorkouts: 0 } },
      "perMilestone.minWorkouts",
    );
    expectInvalid(
      { ...EXAMPLE, perMilestone: { ...EXAMPLE.perMilestone, minMinutes: 1.5 } },
      "perMilestone.minMinutes",
    );
    expectInvalid(
      { ...EXAMPLE, perMilestone: { ...EXAMPLE.perMilestone, activities: ["run", "run"] } },
      "perMilestone.activities",
    );
    expectInvalid(
      { ...EXAMPLE, perMilestone: { ...EXAMPLE.perMilestone, activities: ["yoga"] } },
      "perMilestone.activities.0",
    );
    expectInvalid({ ...EXAMPLE, extra: true }, "(document)");
    expectInvalid(null, "(document)");
  });
});
