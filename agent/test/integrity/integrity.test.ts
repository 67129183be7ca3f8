/**
 * The integrity goals of issue 16, asserted so they can fail: over the generated corpus (corpus.ts) through the
 * real ingestion path, 100 % of genuine recordings are accepted and at least 99 % of the forgeries of every kind
 * are rejected with their own reason; over the real device files of ../shared/fixtures/workouts (when present),
 * no recording is taken for a generated or replayed track.
 */
import { expect } from "chai";
import {
  formatReport,
  type IntegrityReport,
  measureIntegrity,
  measureRealFixtures,
  REAL_FIXTURES,
} from "./measureIntegrity.ts";

describe("oracle integrity over the generated corpus", function () {
  this.timeout(600_000);
  let report: IntegrityReport;

  before(async () => {
    report = await measureIntegrity({ routes: 4 });
  });

  it("accepts every genuine recording, including repeats of the same route by other people", () => {
    const genuine = report.results.find((r) => r.kind === "genuine");
    expect(genuine?.total).to.equal(12);
    expect(genuine?.misses, formatReport(report)).to.deep.equal([]);
    expect(report.genuineAcceptedShare).to.equal(1);
  });

  it("rejects at least 99 % of every forgery kind, each with its own reason", () => {
    for (const result of report.results) {
      if (result.kind === "genuine") continue;
      expect(result.total, result.kind).to.be.greaterThan(0);
      expect(
        result.withExpectedReason / result.total,
        `${result.kind}\n${formatReport(report)}`,
      ).to.be.at.least(0.99);
    }
    expect(report.forgeryRejectedShare).to.be.at.least(0.99);
  });
});

describe("oracle integrity over ../shared/fixtures/workouts (real device files)", function () {
  this.timeout(600_000);

  it("takes no real recording for a generated or replayed track", async function () {
    const results = await measureRealFixtures();
    if (results === undefined) {
      console.warn(`      SKIPPED: ${REAL_FIXTURES} is absent (real device files are not part of the repo).`);
      this.skip();
    }
    expect(results.length).to.be.greaterThan(30);
    const flagged = results.filter(
      (r) => r.reasons.includes("synthetic_track") || r.reasons.includes("replayed_track"),
    );
    expect(flagged, JSON.stringify(flagged, null, 2)).to.deep.equal([]);
  });
});
