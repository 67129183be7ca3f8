import { describe, expect, it } from "vitest";
import {
  APPEAL_PERIOD_SECONDS,
  appealMayExpire,
  canAppeal,
  chainStateOf,
  currentMilestoneIndex,
  milestoneStatus,
} from "./milestoneStatus.ts";

const times = { windowStart: 1000, windowEnd: 2000, claimDeadline: 2500 };

describe("milestoneStatus", () => {
  it("follows time while the milestone is open", () => {
    expect(milestoneStatus("open", times, 999)).toBe("upcoming");
    expect(milestoneStatus("open", times, 1000)).toBe("open");
    expect(milestoneStatus("open", times, 2000)).toBe("grace");
    expect(milestoneStatus("open", times, 2499)).toBe("grace");
    expect(milestoneStatus("open", times, 2500)).toBe("missed");
  });
  it("a settled milestone keeps its state", () => {
    expect(milestoneStatus("released", times, 3000)).toBe("released");
    expect(milestoneStatus("slashed", times, 0)).toBe("slashed");
  });
  it("maps the vault's enum (v2 appends Appealed) and rejects unknown values", () => {
    expect([0, 1, 2, 3, 4].map(chainStateOf)).toEqual([
      "open",
      "released",
      "slashed",
      "refunded",
      "appealed",
    ]);
    expect(() => chainStateOf(5)).toThrow();
  });
  it("an appealed milestone stays appealed whatever the time (it is never missed)", () => {
    expect(milestoneStatus("appealed", times, 2000)).toBe("appealed");
    expect(milestoneStatus("appealed", times, 99_999)).toBe("appealed");
  });
});

describe("appeals", () => {
  it("can be made only once the window ended and before the claim deadline, and not while paused", () => {
    const at = (now: number) => canAppeal(milestoneStatus("open", times, now), false);
    expect([999, 1000, 1999, 2000, 2499, 2500].map(at)).toEqual([false, false, false, true, true, false]);
    expect(canAppeal("grace", true)).toBe(false);
    expect(canAppeal("appealed", false)).toBe(false);
    expect(canAppeal("released", false)).toBe(false);
  });
  it("may be expired 14 days after the appeal at the earliest", () => {
    expect(APPEAL_PERIOD_SECONDS).toBe(1_209_600);
    expect(appealMayExpire(1000, 1000 + APPEAL_PERIOD_SECONDS - 1)).toBe(false);
    expect(appealMayExpire(1000, 1000 + APPEAL_PERIOD_SECONDS)).toBe(true);
    expect(appealMayExpire(0, 10 ** 10)).toBe(false);
  });
});

describe("currentMilestoneIndex", () => {
  it("prefers a claimable window, then the next upcoming one", () => {
    expect(currentMilestoneIndex([{ status: "released" }, { status: "grace" }, { status: "open" }])).toBe(1);
    expect(currentMilestoneIndex([{ status: "missed" }, { status: "upcoming" }])).toBe(1);
    expect(currentMilestoneIndex([{ status: "released" }, { status: "slashed" }])).toBeUndefined();
  });
});
