import { expect } from "chai";
import { ManualClock } from "../src/clock.ts";

describe("ManualClock", () => {
  it("starts where it is told and advances by exactly the given milliseconds", () => {
    const clock = new ManualClock(new Date("2026-11-23T07:00:00Z"));
    expect(clock.now()).to.equal(Date.parse("2026-11-23T07:00:00Z"));
    clock.advance(90_000);
    expect(new Date(clock.now()).toISOString()).to.equal("2026-11-23T07:01:30.000Z");
    clock.set(0);
    expect(clock.now()).to.equal(0);
  });
});
