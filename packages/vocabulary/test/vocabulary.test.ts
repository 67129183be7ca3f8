import { expect } from "chai";
import {
  challengePoolConstants,
  isLocalChain,
  isReasonCode,
  isSport,
  isValidMilestoneCount,
  isValidPeriod,
  LOCAL_CHAIN_ID,
  MAX_MILESTONES,
  MAX_PERIOD_SECONDS,
  MIN_PERIOD_SECONDS,
  PARSE_PROBLEM_CODES,
  REJECTION_CODES,
  SPORTS,
} from "../src/index.ts";

describe("vocabulary", () => {
  it("names the seven sports", () => {
    expect(SPORTS).to.deep.equal(["run", "ride", "walk", "swim", "strength", "row", "other"]);
    expect(isSport("row")).to.equal(true);
    expect(isSport("skate")).to.equal(false);
    expect(isSport(undefined)).to.equal(false);
  });

  it("takes the vault's limits from its bytecode: 104 milestones, 1 hour to 366 days", () => {
    expect(MAX_MILESTONES).to.equal(104);
    expect(MIN_PERIOD_SECONDS).to.equal(3600);
    expect(MAX_PERIOD_SECONDS).to.equal(366 * 86_400);
    expect(isValidMilestoneCount(104)).to.equal(true);
    expect(isValidMilestoneCount(105)).to.equal(false);
    expect(isValidMilestoneCount(0)).to.equal(false);
    expect(isValidPeriod(3599)).to.equal(false);
    expect(isValidPeriod(MAX_PERIOD_SECONDS)).to.equal(true);
    expect(isValidPeriod(MAX_PERIOD_SECONDS + 1)).to.equal(false);
  });

  it("keeps the challenge pool's limits in step with the vault's (a pool commitment is a vault commitment)", () => {
    expect(challengePoolConstants.MAX_MILESTONES).to.equal(MAX_MILESTONES);
    expect(challengePoolConstants.MIN_PERIOD).to.equal(MIN_PERIOD_SECONDS);
    expect(challengePoolConstants.MAX_PERIOD).to.equal(MAX_PERIOD_SECONDS);
  });

  it("knows the local chain", () => {
    expect(LOCAL_CHAIN_ID).to.equal(31337);
    expect(isLocalChain(31337)).to.equal(true);
    expect(isLocalChain(11155111)).to.equal(false);
  });

  it("has parse problems that are rejection codes, and recognises codes", () => {
    for (const code of PARSE_PROBLEM_CODES) expect(REJECTION_CODES).to.include(code);
    expect(isReasonCode("gps_teleport")).to.equal(true);
    expect(isReasonCode("outside_window")).to.equal(true);
    expect(isReasonCode("bad_vibes")).to.equal(false);
  });
});
