import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AgentUnreachableError,
  BadResponseError,
  fetchSession,
  listCommitments,
  ProblemError,
  uploadCalendarFile,
  registerRules,
} from "./agentClient.ts";

const RULES = {
  version: 1 as const,
  timezone: "UTC",
  perMilestone: { minWorkouts: 1, minMinutes: 1, activities: ["run" as const] },
  evidence: "any" as const,
};

function answer(status: number, body: unknown, type = "application/json") {
  return vi.fn(
    async (_url: RequestInfo | URL, _init?: RequestInit) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": type } }),
  );
}

describe("agentClient", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends JSON with credentials and parses the answer", async () => {
    const hash = `0x${"ab".repeat(32)}`;
    const fetchMock = answer(200, { rulesHash: hash, canonical: "{}" });
    vi.stubGlobal("fetch", fetchMock);
    await expect(registerRules(RULES)).resolves.toEqual({ rulesHash: hash, canonical: "{}" });
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(String(url)).toBe("http://127.0.0.1:8787/api/rules");
    expect(init?.credentials).toBe("include");
    expect(init?.method).toBe("POST");
    expect(JSON.parse(String(init?.body))).toEqual({ rules: RULES });
  });

  it("turns a problem document into a ProblemError with code and field", async () => {
    vi.stubGlobal(
      "fetch",
      answer(
        422,
        {
          type: "urn:x",
          title: "Unprocessable Content",
          status: 422,
          detail: "bad tz",
          code: "invalid_rules",
          field: "rules.timezone",
        },
        "application/problem+json",
      ),
    );
    const error = await registerRules(RULES).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({
      status: 422,
      code: "invalid_rules",
      field: "rules.timezone",
      message: "bad tz",
    });
  });

  it("reports a network failure as AgentUnreachableError", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        throw new TypeError("Failed to fetch");
      }),
    );
    await expect(registerRules(RULES)).rejects.toBeInstanceOf(AgentUnreachableError);
  });

  it("refuses an answer of the wrong shape", async () => {
    vi.stubGlobal("fetch", answer(200, { rulesHash: "not a hash" }));
    await expect(registerRules(RULES)).rejects.toBeInstanceOf(BadResponseError);
  });

  it("reads a null (or an older agent's 401) session as signed out, other errors as errors", async () => {
    vi.stubGlobal("fetch", answer(200, null));
    await expect(fetchSession()).resolves.toBeNull();
    vi.stubGlobal("fetch", answer(401, { code: "unauthorized", status: 401 }, "application/problem+json"));
    await expect(fetchSession()).resolves.toBeNull();
    vi.stubGlobal(
      "fetch",
      answer(503, { code: "store_unavailable", status: 503 }, "application/problem+json"),
    );
    await expect(fetchSession()).rejects.toMatchObject({ status: 503, code: "store_unavailable" });
  });

  it("reads the agent's commitment view, where a window not yet open has no progress", async () => {
    const milestone = (index: number, progress: unknown, claimable: boolean) => ({
      index,
      windowStart: "2026-11-23T00:00:00.000Z",
      windowEnd: "2026-11-30T00:00:00.000Z",
      claimDeadline: "2026-12-01T00:00:00.000Z",
      state: "Open",
      amount: "50000000000000000",
      progress,
      claimable,
    });
    vi.stubGlobal(
      "fetch",
      answer(200, {
        commitments: [
          {
            id: "1",
            rulesKnown: true,
            milestones: [
              milestone(0, { done: 1, required: 1, met: true, workouts: ["w1"] }, true),
              milestone(1, null, false),
            ],
          },
        ],
      }),
    );
    const [commitment] = await listCommitments();
    expect(commitment?.milestones.map((m) => m.claimable)).toEqual([true, false]);
    expect(commitment?.milestones[1]?.progress).toBeNull();
  });

  it("uploads a calendar as its raw iCalendar text", async () => {
    const fetchMock = answer(200, { source: "upload", events: 1, fetchedAt: "2026-11-22T10:00:00.000Z" });
    vi.stubGlobal("fetch", fetchMock);
    const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
    await uploadCalendarFile(new File([ics], "work.ics", { type: "text/calendar" }));
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(String(url)).toBe("http://127.0.0.1:8787/api/calendar");
    expect(init?.method).toBe("POST");
    expect((init?.headers as Record<string, string> | undefined)?.["content-type"]).toBe("text/calendar");
    expect(init?.body).toBe(ics);
  });
});
