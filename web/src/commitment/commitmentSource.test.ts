import { zeroAddress } from "viem";
import { describe, expect, it, vi } from "vitest";
import { AgentUnreachableError, BadResponseError, ProblemError } from "../api/agentClient.ts";
import type { ApiCommitment } from "../api/schemas.ts";
import type { CommitmentView } from "../chain/vaultReads.ts";
import { isAgentDown, loadDashboardCommitments } from "./commitmentSource.ts";

const view = (id: bigint): CommitmentView => ({
  id,
  owner: zeroAddress,
  token: zeroAddress,
  amount: 1n,
  start: 0,
  period: 1,
  grace: 0,
  beneficiary: zeroAddress,
  rulesHash: "0x",
  closed: false,
  milestones: [],
});
const api = (id: number): ApiCommitment => ({ id: String(id), milestones: [] });

function sources(agent: () => Promise<ApiCommitment[]>, chainIds: bigint[] = [9n], truncated = false) {
  return {
    fromAgent: vi.fn(agent),
    fromChain: vi.fn(async () => ({ ids: chainIds, truncated, scanned: 10 })),
    read: vi.fn(async (id: bigint) => view(id)),
  };
}

describe("loadDashboardCommitments", () => {
  it("uses the agent's list when signed in and the agent answers, newest first, never the chain scan", async () => {
    const s = sources(async () => [api(1), api(3), api(2)]);
    const out = await loadDashboardCommitments({ signedIn: true, ...s });
    expect(out.source).toBe("agent");
    expect(out.reason).toBeNull();
    expect(out.commitments.map((c) => c.id)).toEqual([3n, 2n, 1n]);
    expect(out.agent?.length).toBe(3);
    expect(s.fromChain).not.toHaveBeenCalled();
    expect(s.read).toHaveBeenCalledTimes(3);
  });

  it("falls back to the chain when the agent is unreachable, and says so", async () => {
    const s = sources(async () => {
      throw new AgentUnreachableError(new TypeError("Failed to fetch"));
    }, [7n, 4n]);
    const out = await loadDashboardCommitments({ signedIn: true, ...s });
    expect(out.source).toBe("chain");
    expect(out.reason).toBe("agent-down");
    expect(out.agent).toBeNull();
    expect(out.commitments.map((c) => c.id)).toEqual([7n, 4n]);
    expect(out.agentError).toBeInstanceOf(AgentUnreachableError);
  });

  it("falls back on a 503 from the agent too", async () => {
    const s = sources(async () => {
      throw new ProblemError(503, { code: "unavailable" });
    });
    const out = await loadDashboardCommitments({ signedIn: true, ...s });
    expect(out).toMatchObject({ source: "chain", reason: "agent-down" });
  });

  it("reads the chain without asking the agent when signed out", async () => {
    const s = sources(async () => [api(1)]);
    const out = await loadDashboardCommitments({ signedIn: false, ...s });
    expect(out).toMatchObject({ source: "chain", reason: "signed-out" });
    expect(s.fromAgent).not.toHaveBeenCalled();
  });

  it("calls it an outage when the session could not be read because the agent is down", async () => {
    const s = sources(async () => [api(1)]);
    const out = await loadDashboardCommitments({
      signedIn: false,
      sessionError: new AgentUnreachableError(new TypeError("Failed to fetch")),
      ...s,
    });
    expect(out).toMatchObject({ source: "chain", reason: "agent-down" });
    expect(s.fromAgent).not.toHaveBeenCalled();
  });

  it("treats an expired session (401) as signed out", async () => {
    const s = sources(async () => {
      throw new ProblemError(401, { code: "unauthenticated" });
    });
    const out = await loadDashboardCommitments({ signedIn: true, ...s });
    expect(out).toMatchObject({ source: "chain", reason: "signed-out" });
  });

  it("shows any other agent error instead of hiding it behind the chain", async () => {
    const s = sources(async () => {
      throw new BadResponseError("/api/commitments", new Error("shape"));
    });
    await expect(loadDashboardCommitments({ signedIn: true, ...s })).rejects.toBeInstanceOf(BadResponseError);
    expect(s.fromChain).not.toHaveBeenCalled();
  });

  it("reads at most maxFound commitments and reports the rest as truncated", async () => {
    const s = sources(async () => [api(1), api(2), api(3)]);
    const out = await loadDashboardCommitments({ signedIn: true, maxFound: 2, ...s });
    expect(out.commitments.map((c) => c.id)).toEqual([3n, 2n]);
    expect(out.truncated).toBe(true);
  });
});

describe("isAgentDown", () => {
  it("is true for unreachable and 5xx, false for 4xx", () => {
    expect(isAgentDown(new AgentUnreachableError(null))).toBe(true);
    expect(isAgentDown(new ProblemError(502, {}))).toBe(true);
    expect(isAgentDown(new ProblemError(404, {}))).toBe(false);
    expect(isAgentDown(new Error("x"))).toBe(false);
  });
});

describe("loadDashboardCommitments against the chain's owner", () => {
  const ME = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
  it("shows only commitments the vault says are the account's, once each, whatever the agent listed", async () => {
    const s = sources(async () => [api(1), api(2), api(2), api(3)]);
    s.read.mockImplementation(async (id: bigint) => ({ ...view(id), owner: id === 2n ? zeroAddress : ME }));
    const out = await loadDashboardCommitments({ signedIn: true, owner: ME, ...s });
    expect(out.commitments.map((c) => c.id)).toEqual([3n, 1n]);
  });
});
