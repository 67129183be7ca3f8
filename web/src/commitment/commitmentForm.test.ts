import { getAddress, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import type { DeployedToken } from "../chain/deployments.ts";
import { type CommitmentFormValues, nextMonday, validateCommitment } from "./commitmentForm.ts";

const owner = getAddress("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
const vault = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
const usdc: DeployedToken = {
  address: getAddress("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"),
  symbol: "USDC",
  decimals: 6,
  permit: true,
  mock: true,
};
const chainNow = 1_795_000_000;

function values(over: Partial<CommitmentFormValues> = {}): CommitmentFormValues {
  return {
    minWorkouts: "3",
    minMinutes: "30",
    activities: ["strength", "run"],
    timezone: "Europe/Berlin",
    evidence: "device",
    asset: "ETH",
    amount: "0.1",
    start: new Date((chainNow + 86_400) * 1000).toISOString(),
    periodCount: "1",
    periodUnit: "weeks",
    milestones: "8",
    graceHours: "48",
    beneficiary: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    ...over,
  };
}

const base = { tokens: [usdc], owner, vault, chainNow, balance: 10n ** 18n };

describe("validateCommitment", () => {
  it("turns a valid form into CommitmentParams and the rules document", () => {
    const r = validateCommitment({ ...base, values: values() });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      token: zeroAddress,
      amount: 10n ** 17n,
      start: chainNow + 86_400,
      period: 604_800,
      milestones: 8,
      grace: 172_800,
      beneficiary: getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"),
      symbol: "ETH",
    });
    // Activities follow the canonical SPORTS order, whatever order they were ticked in.
    expect(r.value.rules).toEqual({
      version: 1,
      timezone: "Europe/Berlin",
      perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "strength"] },
      evidence: "device",
    });
  });

  it("uses the token's decimals for a token stake", () => {
    const r = validateCommitment({
      ...base,
      balance: 10n ** 9n,
      values: values({ asset: usdc.address, amount: "200" }),
    });
    expect(r.ok && r.value.amount).toBe(200_000_000n);
    expect(r.ok && r.value.token).toBe(usdc.address);
  });

  it("names every wrong field", () => {
    const r = validateCommitment({
      ...base,
      values: values({
        minWorkouts: "0",
        minMinutes: "x",
        activities: [],
        timezone: "Mars/Base",
        amount: "2",
        start: new Date(chainNow * 1000).toISOString(),
        periodCount: "30",
        periodUnit: "hours",
        milestones: "105",
        graceHours: "169",
        beneficiary: owner,
      }),
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(
      [
        "activities",
        "amount",
        "beneficiary",
        "graceHours",
        "milestones",
        "minMinutes",
        "minWorkouts",
        "start",
        "timezone",
      ].sort(),
    );
    expect(r.errors.amount).toMatch(/balance/);
    expect(r.errors.beneficiary).toMatch(/someone else/);
  });

  it("rejects windows outside 1 hour ..= 366 days and the zero or vault beneficiary", () => {
    const short = validateCommitment({ ...base, values: values({ periodCount: "59", periodUnit: "hours" }) });
    expect(short.ok).toBe(true);
    const tooLong = validateCommitment({
      ...base,
      values: values({ periodCount: "53", periodUnit: "weeks" }),
    });
    expect(!tooLong.ok && tooLong.errors.periodCount).toBeTruthy();
    const zero = validateCommitment({ ...base, values: values({ beneficiary: zeroAddress }) });
    expect(!zero.ok && zero.errors.beneficiary).toMatch(/zero/);
    const toVault = validateCommitment({ ...base, values: values({ beneficiary: vault }) });
    expect(!toVault.ok && toVault.errors.beneficiary).toMatch(/vault/);
  });
});

describe("nextMonday", () => {
  it("is the coming Monday at midnight, a week ahead on a Monday", () => {
    expect(nextMonday(new Date(2026, 10, 25, 15)).getTime()).toBe(new Date(2026, 10, 30).getTime());
    expect(nextMonday(new Date(2026, 10, 23, 9)).getTime()).toBe(new Date(2026, 10, 30).getTime());
    expect(nextMonday(new Date(2026, 10, 29, 23)).getTime()).toBe(new Date(2026, 10, 30).getTime());
  });
});
