import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useCountdown, useNow } from "./useNow.ts";

describe("useNow / useCountdown", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-11-23T07:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("ticks every interval", () => {
    const { result } = renderHook(() => useNow(1000));
    expect(result.current.toISOString()).toBe("2026-11-23T07:00:00.000Z");
    act(() => vi.advanceTimersByTime(3000));
    expect(result.current.toISOString()).toBe("2026-11-23T07:00:03.000Z");
  });

  it("counts down to a deadline and stops at zero", () => {
    const deadline = new Date("2026-11-23T07:00:05Z");
    const { result } = renderHook(() => useCountdown(deadline));
    expect(result.current).toEqual({ msLeft: 5000, passed: false });
    act(() => vi.advanceTimersByTime(6000));
    expect(result.current).toEqual({ msLeft: 0, passed: true });
  });

  it("follows the chain's clock when given its offset", () => {
    const deadline = new Date("2026-11-23T08:00:00Z");
    // The chain is one hour ahead of the wall (time travel on a local node).
    const { result } = renderHook(() => useCountdown(deadline, 3_600_000));
    expect(result.current.passed).toBe(true);
  });
});
