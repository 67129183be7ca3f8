import { describe, expect, it } from "vitest";
import { checkSignInBinding, normalizeAgentUri, SignInBindingError } from "./siweBinding.ts";

const A = "http://127.0.0.1:4001";
const B = "https://oracle-b.example.com/agent";
const WEB = "http://127.0.0.1:5173";
const agentUrls = [A, B];

describe("checkSignInBinding", () => {
  it("accepts a nonce for the agent itself, whatever the trailing slash or case of the host", () => {
    expect(() =>
      checkSignInBinding({
        agentUrl: B,
        nonceUri: "https://ORACLE-B.example.com/agent/",
        primary: false,
        agentUrls,
        webOrigin: WEB,
      }),
    ).not.toThrow();
  });

  it("refuses another listed agent's nonce: a replay of the user's signature there", () => {
    expect(() =>
      checkSignInBinding({ agentUrl: A, nonceUri: B, primary: true, agentUrls, webOrigin: WEB }),
    ).toThrow(/for another agent \(https:\/\/oracle-b\.example\.com\/agent\)/);
    expect(() =>
      checkSignInBinding({ agentUrl: B, nonceUri: A, primary: false, agentUrls, webOrigin: WEB }),
    ).toThrow(SignInBindingError);
  });

  it("lets the app's own agent use the web origin (one agent, the default), but not another agent", () => {
    expect(() =>
      checkSignInBinding({ agentUrl: A, nonceUri: WEB, primary: true, agentUrls, webOrigin: WEB }),
    ).not.toThrow();
    expect(() =>
      checkSignInBinding({ agentUrl: B, nonceUri: WEB, primary: false, agentUrls, webOrigin: WEB }),
    ).toThrow(/must set SIWE_URI/);
  });

  it("refuses a URI that is neither", () => {
    expect(() =>
      checkSignInBinding({
        agentUrl: A,
        nonceUri: "https://evil.example",
        primary: true,
        agentUrls,
        webOrigin: WEB,
      }),
    ).toThrow(SignInBindingError);
  });

  it("normalizes URLs and leaves other text as it is", () => {
    expect(normalizeAgentUri("HTTP://Host:80/a/")).toBe("http://host/a");
    expect(normalizeAgentUri(" not a url ")).toBe("not a url");
  });
});
