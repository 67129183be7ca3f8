import { describe, expect, it } from "vitest";
import { chainStateOf, currentMilestoneIndex, milestoneStatus } from "./milestoneStatus.ts";

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
  it("maps the vault's enum and rejects unknown values", () => {
    expect([0, 1, 2, 3].map(chainStateOf)).toEqual(["open", "released", "slashed", "refunded"]);
    expect(() => chainStateOf(4)).toThrow();
  });
});

describe("currentMilestoneIndex", () => {
  it("prefers a claimable window, then the next upcoming one", () => {
    expect(currentMilestoneIndex([{ status: "released" }, { status: "grace" }, { status: "open" }])).toBe(1);
    expect(currentMilestoneIndex([{ status: "missed" }, { status: "upcoming" }])).toBe(1);
    expect(currentMilestoneIndex([{ status: "released" }, { status: "slashed" }])).toBeUndefined();
  });
});
