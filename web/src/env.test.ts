import { describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";

describe("parseEnv", () => {
  it("has local defaults and treats empty strings as unset", () => {
    expect(parseEnv({ VITE_AGENT_URL: "", VITE_WALLETCONNECT_PROJECT_ID: "" })).toEqual({
      VITE_AGENT_URL: "http://127.0.0.1:8787",
      VITE_RPC_URL_31337: "http://127.0.0.1:8545",
    });
  });
  it("reads the WalletConnect project id only when it looks like one", () => {
    expect(
      parseEnv({ VITE_WALLETCONNECT_PROJECT_ID: "0123456789abcdef0123456789abcdef" })
        .VITE_WALLETCONNECT_PROJECT_ID,
    ).toBe("0123456789abcdef0123456789abcdef");
    expect(
      parseEnv({ VITE_WALLETCONNECT_PROJECT_ID: "<set me>" }).VITE_WALLETCONNECT_PROJECT_ID,
    ).toBeUndefined();
  });
  it("rejects a non-http agent URL", () => {
    expect(() => parseEnv({ VITE_AGENT_URL: "ftp://example.com" })).toThrow();
  });
});
