import { parseSiweMessage } from "viem/siwe";
import { describe, expect, it } from "vitest";
import { buildSignInMessage, sessionMatches } from "./useSession.ts";

describe("buildSignInMessage", () => {
  it("carries exactly the values the agent checks", () => {
    const message = buildSignInMessage({
      address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      nonce: {
        nonce: "a1b2c3d4e5f6a7b8",
        domain: "127.0.0.1:5173",
        uri: "http://127.0.0.1:5173",
        chainId: 31337,
      },
      issuedAt: new Date("2026-11-23T07:00:00Z"),
    });
    expect(parseSiweMessage(message)).toMatchObject({
      address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      chainId: 31337,
      domain: "127.0.0.1:5173",
      uri: "http://127.0.0.1:5173",
      nonce: "a1b2c3d4e5f6a7b8",
      version: "1",
    });
  });
});

describe("sessionMatches", () => {
  const session = {
    address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as const,
    chainId: 31337,
    expiresAt: "2026-11-24T07:00:00.000Z",
  };
  it("is true only for the connected address (any case)", () => {
    expect(sessionMatches(session, "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc")).toBe(true);
    expect(sessionMatches(session, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")).toBe(false);
    expect(sessionMatches(session, undefined)).toBe(false);
    expect(sessionMatches(null, session.address)).toBe(false);
  });
});

describe("afterSignIn", () => {
  it("drops the agent data cached for the previous account, so the new one never sees (or saves) it", async () => {
    const { QueryClient } = await import("@tanstack/react-query");
    const { afterSignIn } = await import("./useSession.ts");
    const client = new QueryClient();
    client.setQueryData(["api", "preferences"], { email: "previous@example.org" });
    client.setQueryData(["api", "workouts"], { workouts: [1] });
    client.setQueryData(["chainTime", 31337], 5);
    await afterSignIn(client);
    expect(client.getQueryData(["api", "preferences"])).toBeUndefined();
    expect(client.getQueryData(["api", "workouts"])).toBeUndefined();
    expect(client.getQueryData(["chainTime", 31337])).toBe(5);
  });
});
