import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { parseRecordAgents, resolveOracleAgents } from "./oracleAgents.ts";

const O1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Address;

describe("resolveOracleAgents", () => {
  const record = [{ url: "http://127.0.0.1:9001/", oracle: O1 }, { url: "http://127.0.0.1:9002" }];
  it("prefers VITE_AGENT_URLS, then the deployment's agents, then VITE_AGENT_URL alone", () => {
    expect(
      resolveOracleAgents({
        envUrls: ["http://a:1", "http://b:2"],
        recordAgents: record,
        primaryUrl: "http://p",
      }).map((a) => a.url),
    ).toEqual(["http://a:1", "http://b:2"]);
    expect(resolveOracleAgents({ envUrls: undefined, recordAgents: record, primaryUrl: "http://p" })).toEqual(
      [
        { url: "http://127.0.0.1:9001", oracle: O1, label: "Oracle 1" },
        { url: "http://127.0.0.1:9002", label: "Oracle 2" },
      ],
    );
    expect(
      resolveOracleAgents({ envUrls: undefined, recordAgents: undefined, primaryUrl: "http://p" }),
    ).toEqual([{ url: "http://p", label: "Oracle 1" }]);
  });
  it("drops a URL listed twice", () => {
    expect(
      resolveOracleAgents({
        envUrls: ["http://a:1/", "http://A:1"],
        recordAgents: undefined,
        primaryUrl: "http://p",
      }),
    ).toHaveLength(1);
  });
});

describe("parseRecordAgents", () => {
  it("reads agents by chain id and ignores records without them or with a malformed list", () => {
    const byChain = parseRecordAgents({
      "a.json": {
        default: { chainId: 31337, agents: [{ url: "http://127.0.0.1:9001", oracle: O1.toLowerCase() }] },
      },
      "b.json": { default: { chainId: 84532 } },
      "c.json": { default: { chainId: 1, agents: [{ url: "ftp://nope" }] } },
    });
    expect([...byChain.keys()]).toEqual([31337]);
    expect(byChain.get(31337)).toEqual([{ url: "http://127.0.0.1:9001", oracle: O1 }]);
  });
});

describe("VITE_AGENT_URLS", () => {
  it("is a comma-separated list of http(s) URLs", () => {
    expect(parseEnv({ VITE_AGENT_URLS: "http://a:1, http://b:2 ," }).VITE_AGENT_URLS).toEqual([
      "http://a:1",
      "http://b:2",
    ]);
    expect(() => parseEnv({ VITE_AGENT_URLS: "http://a:1,ftp://b" })).toThrow();
    expect(parseEnv({ VITE_AGENT_URLS: "" }).VITE_AGENT_URLS).toBeUndefined();
  });
});
