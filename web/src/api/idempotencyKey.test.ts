import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AgentUnreachableError,
  askCoach,
  disconnectStrava,
  fetchAttestation,
  getPreferences,
  getStravaLink,
  listCommitments,
  newIdempotencyKey,
  ProblemError,
  request,
  stravaAuthorizeUrl,
} from "./agentClient.ts";
import { noContentSchema } from "./schemas.ts";

type FetchMock = ReturnType<typeof vi.fn<(url: RequestInfo | URL, init?: RequestInit) => Promise<Response>>>;

function json(status: number, body: unknown, type = "application/json") {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": type },
  });
}

/** A fetch that answers the given answers in turn (an Error is thrown, as fetch does on a network failure). */
function answers(...list: (Response | Error)[]): FetchMock {
  const queue = [...list];
  return vi.fn(async () => {
    const next = queue.shift();
    if (next === undefined) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return next;
  });
}

function keyOf(mock: FetchMock, call: number): string | undefined {
  const init = mock.mock.calls[call]?.[1];
  return (init?.headers as Record<string, string> | undefined)?.["idempotency-key"];
}

const ATTESTATION = {
  commitmentId: "1",
  milestoneIndex: 0,
  evidenceHash: `0x${"11".repeat(32)}`,
  validUntil: "1900000000",
  signer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  signature: `0x${"22".repeat(65)}`,
};

describe("Idempotency-Key on the agent client's mutating requests", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("makes 128-bit hex keys that differ each time", () => {
    const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{32}$/);
  });

  it("sends a key with every POST, PUT and DELETE, and none with a GET", async () => {
    const fetchMock = answers(json(200, { commitments: [] }), json(204, null), json(200, { saved: true }));
    vi.stubGlobal("fetch", fetchMock);
    await listCommitments();
    await disconnectStrava();
    await request("/api/preferences", noContentSchema, { method: "PUT", json: { channels: ["inApp"] } });
    expect(keyOf(fetchMock, 0)).toBeUndefined();
    expect(fetchMock.mock.calls[1]?.[1]?.method).toBe("DELETE");
    expect(keyOf(fetchMock, 1)).toMatch(/^[0-9a-f]{32}$/);
    expect(keyOf(fetchMock, 2)).toMatch(/^[0-9a-f]{32}$/);
    expect(keyOf(fetchMock, 1)).not.toBe(keyOf(fetchMock, 2));
  });

  it("retries a POST after a network failure with the same key, and a new action gets a new key", async () => {
    const fetchMock = answers(
      new TypeError("Failed to fetch"),
      json(200, ATTESTATION),
      json(200, ATTESTATION),
    );
    vi.stubGlobal("fetch", fetchMock);
    await expect(fetchAttestation(1n, 0)).resolves.toMatchObject({ milestoneIndex: 0n });
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const first = keyOf(fetchMock, 0);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(keyOf(fetchMock, 1)).toBe(first);

    await fetchAttestation(1n, 0);
    expect(keyOf(fetchMock, 2)).toMatch(/^[0-9a-f]{32}$/);
    expect(keyOf(fetchMock, 2)).not.toBe(first);
  });

  it("retries on 503 and on 409 idempotency_key_in_progress with the same key, but not on other errors", async () => {
    const problem = (status: number, code: string) =>
      json(status, { status, code, detail: code }, "application/problem+json");
    const fetchMock = answers(
      problem(503, "store_unavailable"),
      problem(409, "idempotency_key_in_progress"),
      problem(409, "milestone_not_met"),
    );
    vi.stubGlobal("fetch", fetchMock);
    await expect(fetchAttestation(1n, 0, { idempotencyKey: "claim-1-0", retries: 3 })).rejects.toMatchObject({
      status: 409,
      code: "milestone_not_met",
    });
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect([0, 1, 2].map((i) => keyOf(fetchMock, i))).toEqual(["claim-1-0", "claim-1-0", "claim-1-0"]);
  });

  it("gives up after the retries, reporting the last failure", async () => {
    const fetchMock = answers(new TypeError("Failed to fetch"), new TypeError("Failed to fetch"));
    vi.stubGlobal("fetch", fetchMock);
    await expect(fetchAttestation(1n, 0)).rejects.toBeInstanceOf(AgentUnreachableError);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(keyOf(fetchMock, 1)).toBe(keyOf(fetchMock, 0));
  });

  it("never repeats a coach message on its own (the agent does not deduplicate chat turns)", async () => {
    const fetchMock = answers(new TypeError("Failed to fetch"), json(200, { reply: "hi", toolCalls: [] }));
    vi.stubGlobal("fetch", fetchMock);
    await expect(askCoach("hello")).rejects.toBeInstanceOf(AgentUnreachableError);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(keyOf(fetchMock, 0)).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("preferences and Strava calls", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("reads the saved preferences", async () => {
    vi.stubGlobal(
      "fetch",
      answers(
        json(200, {
          channels: ["inApp", "email"],
          timezone: "Europe/Paris",
          quietHours: { start: "21:30", end: "06:45" },
          dailyCap: 2,
          email: "me@example.org",
          webhookUrl: null,
          saved: true,
        }),
      ),
    );
    await expect(getPreferences()).resolves.toMatchObject({
      channels: ["inApp", "email"],
      timezone: "Europe/Paris",
      quietHours: { start: "21:30", end: "06:45" },
      email: "me@example.org",
      saved: true,
    });
  });

  it("reads the Strava link, null when the agent has no Strava integration, and the authorisation URL", async () => {
    const status = (strava?: boolean) =>
      json(200, {
        oracle: null,
        chainId: 31337,
        vault: null,
        relayer: { enabled: false },
        ...(strava === undefined ? {} : { providers: { strava } }),
      });
    const fetchMock = answers(
      status(true),
      json(200, {
        provider: "strava",
        linked: true,
        athleteId: "42",
        scope: "activity:read_all",
        revoked: false,
        linkedAt: "2026-12-01T10:00:00.000Z",
        syncedUntil: null,
      }),
      // An older agent: no `providers` in its status, and a 404 for the link.
      status(),
      json(404, { status: 404, code: "not_found" }, "application/problem+json"),
      // An agent that says it has no Strava is not asked for the link.
      status(false),
      json(200, { authorizeUrl: "https://www.strava.com/oauth/authorize?client_id=1&state=abc" }),
      status(true),
      json(500, { status: 500, code: "internal" }, "application/problem+json"),
    );
    vi.stubGlobal("fetch", fetchMock);
    await expect(getStravaLink()).resolves.toMatchObject({ linked: true, athleteId: "42" });
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe("http://127.0.0.1:8787/api/status");
    expect(String(fetchMock.mock.calls[1]?.[0])).toBe("http://127.0.0.1:8787/api/providers/strava");
    await expect(getStravaLink()).resolves.toBeNull();
    await expect(getStravaLink()).resolves.toBeNull();
    expect(fetchMock).toHaveBeenCalledTimes(5);
    await expect(stravaAuthorizeUrl()).resolves.toBe(
      "https://www.strava.com/oauth/authorize?client_id=1&state=abc",
    );
    expect(String(fetchMock.mock.calls[5]?.[0])).toBe("http://127.0.0.1:8787/api/providers/strava/connect");
    await expect(getStravaLink()).rejects.toBeInstanceOf(ProblemError);
  });
});
