import { describe, expect, it } from "vitest";
import { relayFailure } from "./relayOutcome.ts";

const ok = { commitmentId: 1n, index: 0, status: "confirmed", txHash: null, submitted: true } as const;

describe("relayFailure", () => {
  it("is undefined when every relayed claim is confirmed or still pending", () => {
    expect(relayFailure([ok, { ...ok, index: 1, status: "pending" }])).toBeUndefined();
  });
  it("names each milestone whose relayed claim reverted or failed, and what did go through", () => {
    const error = relayFailure([
      ok,
      { ...ok, commitmentId: 2n, index: 1, status: "reverted", txHash: `0x${"ab".repeat(32)}` },
      { ...ok, commitmentId: 3n, index: 2, status: "failed", submitted: false },
    ]);
    expect(error?.message).toContain("#2 milestone 2: reverted");
    expect(error?.message).toContain("#3 milestone 3: failed");
    expect(error?.message).toContain("1 of 3");
  });
});
