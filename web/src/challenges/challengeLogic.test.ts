import { getAddress, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import type { ApiParticipant } from "../api/challengesClient.ts";
import { challengeDetailSchema } from "../api/challengesClient.ts";
import type { DeployedToken } from "../chain/deployments.ts";
import { formatAmount } from "../format/amount.ts";
import { routeOf } from "../router.ts";
import {
  type ChallengeFormValues,
  challengeIdOfHash,
  challengeParams,
  formatFee,
  joinMethod,
  joinReducer,
  type JoinState,
  myStanding,
  plannedJoinSteps,
  STANDING_LABEL,
  seatsLeft,
  splitPot,
  sportsInWords,
  validateChallenge,
  workoutsInWords,
} from "./challengeLogic.ts";

const POOL = getAddress("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0");
const ME = getAddress("0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc");
const USDC: DeployedToken = {
  address: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
  symbol: "USDC",
  decimals: 6,
  permit: true,
  mock: true,
};
const PLAIN: DeployedToken = {
  ...USDC,
  address: getAddress(`0x${"12".repeat(20)}`),
  symbol: "DAI",
  permit: false,
};

describe("standing labels", () => {
  it("names every standing the agent sends", () => {
    expect(STANDING_LABEL).toEqual({
      on_track: "On track",
      behind: "Behind",
      finished: "Finished",
      out: "Out",
    });
  });
});

describe("splitPot (ChallengeMath.split)", () => {
  it("splits the pot minus the fee equally and leaves the dust to the fee recipient", () => {
    // 0.1 ETH pot, 2.5 % fee, 3 finishers.
    const pot = 100_000_000_000_000_000n;
    const { winningsEach, remainder } = splitPot(pot, 250, 3);
    expect(winningsEach).toBe((pot * 9_750n) / 10_000n / 3n);
    expect(winningsEach).toBe(32_500_000_000_000_000n);
    expect(winningsEach * 3n + remainder).toBe(pot);
    expect(remainder).toBe(2_500_000_000_000_000n);
  });
  it("gives the whole pot to the fallback beneficiary when nobody finished", () => {
    expect(splitPot(7n, 1_000, 0)).toEqual({ winningsEach: 0n, remainder: 7n });
  });
  it("keeps winnings + fee + dust == pot for odd amounts", () => {
    for (const [pot, fee, n] of [
      [1n, 0, 2],
      [999_999n, 1_000, 7],
      [10n ** 24n + 13n, 333, 9_999],
    ] as const) {
      const { winningsEach, remainder } = splitPot(pot, fee, n);
      expect(winningsEach * BigInt(n) + remainder).toBe(pot);
      expect(remainder >= 0n).toBe(true);
    }
  });
  it("formats winnings exactly with the app's amount formatting", () => {
    const { winningsEach } = splitPot(3_000_000n, 0, 2);
    expect(formatAmount({ value: winningsEach, decimals: 6, symbol: "USDC" })).toBe("1.5 USDC");
  });
});

describe("challenge parameters in words", () => {
  it("seats left never goes below zero", () => {
    expect(seatsLeft({ maxParticipants: 20, participantCount: 3 })).toBe(17);
    expect(seatsLeft({ maxParticipants: 2, participantCount: 2 })).toBe(0);
  });
  it("fee in percent", () => {
    expect(formatFee(250)).toBe("2.5 %");
    expect(formatFee(0)).toBe("0 %");
    expect(formatFee(1_000)).toBe("10 %");
  });
  it("sports and workouts", () => {
    expect(sportsInWords(["run"])).toBe("running");
    expect(sportsInWords(["run", "ride", "swim"])).toBe("running, cycling or swimming");
    expect(
      workoutsInWords({
        version: 1,
        timezone: "UTC",
        perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run"] },
        evidence: "device",
      }),
    ).toBe("3 workouts of at least 30 min per window (device data)");
    expect(
      workoutsInWords({
        version: 1,
        timezone: "UTC",
        perMilestone: { minWorkouts: 1, minMinutes: 0, activities: ["run"] },
        evidence: "any",
      }),
    ).toBe("1 workout per window (manual logs count)");
  });
});

describe("myStanding", () => {
  const seat = (over: Partial<ApiParticipant>): ApiParticipant => ({
    address: ME,
    commitmentId: 4n,
    status: "joined",
    standing: "on_track",
    milestonesReleased: 0,
    claimable: 0n,
    ...over,
  });
  it("not joined, in (with the agent's standing), out, claimed", () => {
    const base = { claimable: 0n, settledCount: 0, participantCount: 2 };
    expect(myStanding({ ...base, you: null })).toEqual({ kind: "not_joined" });
    expect(myStanding({ ...base, you: seat({ standing: "behind" }) })).toEqual({
      kind: "in",
      standing: "behind",
    });
    expect(myStanding({ ...base, you: seat({ status: "out", standing: "out" }) })).toEqual({ kind: "out" });
    expect(myStanding({ ...base, you: seat({ status: "claimed", standing: "finished" }) })).toEqual({
      kind: "claimed",
    });
  });
  it("a finisher claims only the pool's winningsOf, once everyone is settled", () => {
    const you = seat({ status: "finished", standing: "finished" });
    expect(myStanding({ you, claimable: 0n, settledCount: 1, participantCount: 2 })).toEqual({
      kind: "waiting_for_others",
      settled: 1,
      of: 2,
    });
    expect(myStanding({ you, claimable: 123n, settledCount: 2, participantCount: 2 })).toEqual({
      kind: "claimable",
      amount: 123n,
    });
    // Settled, nothing to win (nobody missed): finished, no button.
    expect(myStanding({ you, claimable: 0n, settledCount: 2, participantCount: 2 })).toEqual({
      kind: "in",
      standing: "finished",
    });
  });
});

describe("join flow", () => {
  it("picks ETH value, a permit signature, or approve then join", () => {
    expect(joinMethod(zeroAddress, undefined)).toBe("eth");
    expect(joinMethod(USDC.address, USDC)).toBe("permit");
    expect(joinMethod(PLAIN.address, PLAIN)).toBe("approve");
    expect(joinMethod(PLAIN.address, undefined)).toBe("approve");
    expect(plannedJoinSteps("eth", "ETH").map((s) => s.id)).toEqual(["join", "confirm"]);
    expect(plannedJoinSteps("permit", "USDC").map((s) => s.id)).toEqual(["permit", "join", "confirm"]);
    expect(plannedJoinSteps("approve", "DAI").map((s) => s.id)).toEqual(["approve", "join", "confirm"]);
  });

  it("runs idle → running → confirmed, one step at a time", () => {
    let s: JoinState = { phase: "idle" };
    s = joinReducer(s, { type: "start", steps: plannedJoinSteps("approve", "DAI") });
    s = joinReducer(s, { type: "mark", id: "approve", status: "skipped", detail: "Already approved" });
    s = joinReducer(s, { type: "mark", id: "join", status: "active" });
    expect(s.phase).toBe("running");
    if (s.phase !== "running") throw new Error("not running");
    expect(s.steps.map((x) => x.status)).toEqual(["skipped", "active", "todo"]);
    expect(s.steps[0]?.detail).toBe("Already approved");
    s = joinReducer(s, { type: "confirm", commitmentId: 7n, txHash: "0xabc" });
    expect(s).toMatchObject({ phase: "confirmed", commitmentId: 7n, txHash: "0xabc" });
    if (s.phase !== "confirmed") throw new Error("not confirmed");
    expect(s.steps.map((x) => x.status)).toEqual(["skipped", "done", "todo"]);
    // A confirmed flow ignores stray events until reset.
    expect(joinReducer(s, { type: "mark", id: "join", status: "todo" })).toBe(s);
    expect(joinReducer(s, { type: "reset" })).toEqual({ phase: "idle" });
  });

  it("a failure puts the active step back to todo and keeps what was done; a retry starts over", () => {
    let s: JoinState = joinReducer(
      { phase: "idle" },
      { type: "start", steps: plannedJoinSteps("permit", "USDC") },
    );
    s = joinReducer(s, { type: "mark", id: "permit", status: "done" });
    s = joinReducer(s, { type: "mark", id: "join", status: "active" });
    const error = new Error("User rejected the request.");
    s = joinReducer(s, { type: "fail", error });
    expect(s).toMatchObject({ phase: "failed", error });
    if (s.phase !== "failed") throw new Error("not failed");
    expect(s.steps.map((x) => x.status)).toEqual(["done", "todo", "todo"]);
    const again = joinReducer(s, { type: "start", steps: plannedJoinSteps("permit", "USDC") });
    expect(again.phase).toBe("running");
    // While running, start and reset are ignored (no double submission).
    if (again.phase !== "running") throw new Error("not running");
    expect(joinReducer(again, { type: "start", steps: [] })).toBe(again);
    expect(joinReducer(again, { type: "reset" })).toBe(again);
  });
});

describe("create-challenge form", () => {
  const chainNow = Math.floor(Date.parse("2026-12-05T12:00:00Z") / 1000);
  const values: ChallengeFormValues = {
    minWorkouts: "2",
    minMinutes: "20",
    activities: ["run"],
    timezone: "UTC",
    evidence: "device",
    asset: "ETH",
    amount: "0.05",
    start: "2026-12-07T06:00",
    periodCount: "1",
    periodUnit: "weeks",
    milestones: "2",
    graceHours: "24",
    beneficiary: "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65",
    joinDeadline: "2026-12-07T05:00",
    maxParticipants: "10",
    feePercent: "2.5",
    feeRecipient: ME,
  };

  it("turns a valid form into the pool's ChallengeParams", () => {
    const result = validateChallenge({ values, tokens: [USDC], pool: POOL, chainNow });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const params = challengeParams(result.value, `0x${"11".repeat(32)}`);
    expect(params).toMatchObject({
      token: zeroAddress,
      stake: 50_000_000_000_000_000n,
      period: 604_800,
      milestones: 2,
      grace: 86_400,
      maxParticipants: 10,
      feeBps: 250,
      feeRecipient: ME,
      fallbackBeneficiary: getAddress("0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"),
    });
    expect(params.start - params.joinDeadline).toBe(3600n);
  });

  it("names every wrong field of the pool's own checks", () => {
    const result = validateChallenge({
      values: {
        ...values,
        joinDeadline: "2026-12-08T06:00",
        maxParticipants: "1",
        feePercent: "10.5",
        feeRecipient: POOL,
        beneficiary: POOL,
      },
      tokens: [],
      pool: POOL,
      chainNow,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.joinDeadline).toMatch(/at or before the start/);
    expect(result.errors.maxParticipants).toMatch(/2 to 10,000/);
    expect(result.errors.feePercent).toMatch(/0 to 10 %/);
    expect(result.errors.feeRecipient).toMatch(/pool/);
    expect(result.errors.beneficiary).toMatch(/pool/);
  });

  it("refuses a join deadline in the past and a token the deployment does not list", () => {
    const result = validateChallenge({
      values: { ...values, joinDeadline: "2026-12-05T11:00", asset: PLAIN.address },
      tokens: [USDC],
      pool: POOL,
      chainNow,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.joinDeadline).toMatch(/future/);
    expect(result.errors.asset).toBeDefined();
  });
});

describe("routes and the agent's answer", () => {
  it("#/challenges/<id> is the Challenges route with that id", () => {
    expect(routeOf("#/challenges")).toBe("/challenges");
    expect(routeOf("#/challenges/12")).toBe("/challenges");
    expect(routeOf("#/challenges/0")).toBe("/");
    expect(challengeIdOfHash("#/challenges/12")).toBe(12n);
    expect(challengeIdOfHash("#/challenges")).toBeUndefined();
    expect(challengeIdOfHash("#/challenges/01")).toBeUndefined();
  });

  it("parses GET /api/challenges/:id as the agent sends it", () => {
    const parsed = challengeDetailSchema.parse({
      id: "1",
      creator: ME.toLowerCase(),
      token: zeroAddress,
      stake: "50000000000000000",
      start: 1_765_087_200,
      period: 604_800,
      milestones: 2,
      grace: 86_400,
      rulesHash: `0x${"ab".repeat(32)}`,
      joinDeadline: 1_765_083_600,
      maxParticipants: 10,
      feeBps: 0,
      feeRecipient: ME,
      fallbackBeneficiary: POOL,
      participantCount: 2,
      settledCount: 2,
      finisherCount: 1,
      pot: "25000000000000000",
      phase: "closed",
      winningsEach: "25000000000000000",
      participants: [
        {
          address: ME,
          commitmentId: "3",
          status: "finished",
          standing: "finished",
          milestonesReleased: 2,
          claimable: "25000000000000000",
        },
      ],
      nextParticipantCursor: null,
      you: null,
    });
    expect(parsed.winningsEach).toBe(25_000_000_000_000_000n);
    expect(parsed.participants[0]?.claimable).toBe(25_000_000_000_000_000n);
    expect(parsed.creator).toBe(ME);
    expect(() => challengeDetailSchema.parse({ ...parsed, phase: "later" })).toThrow();
  });
});
