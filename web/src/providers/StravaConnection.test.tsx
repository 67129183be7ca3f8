import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { navigation, StravaConnection, stravaLinkState } from "./StravaConnection.tsx";
import { routeStravaReturn, stravaReturnOf } from "./stravaReturn.ts";

const LINKED = {
  provider: "strava",
  linked: true,
  athleteId: "4242",
  scope: "read,activity:read_all",
  revoked: false,
  linkedAt: "2026-12-01T10:00:00.000Z",
  syncedUntil: null,
};
const UNLINKED = {
  provider: "strava",
  linked: false,
  athleteId: null,
  scope: null,
  revoked: false,
  linkedAt: null,
  syncedUntil: null,
};

type Answer = { status: number; body?: unknown };
const STATUS_ON: Answer & { body: Record<string, unknown> } = {
  status: 200,
  body: {
    oracle: null,
    chainId: 31337,
    vault: null,
    relayer: { enabled: false },
    providers: { strava: true },
  },
};
/** A fetch answering by "METHOD path" (each key's answers in turn), recording every call. */
function agent(routes: Record<string, Answer[]>) {
  return vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const key = `${init?.method ?? "GET"} ${new URL(String(url)).pathname}`;
    const next = routes[key]?.shift();
    if (next === undefined) throw new Error(`unexpected ${key}`);
    const problem = next.status >= 400;
    return new Response(next.status === 204 ? null : JSON.stringify(next.body ?? {}), {
      status: next.status,
      headers: { "content-type": problem ? "application/problem+json" : "application/json" },
    });
  });
}

function renderIt() {
  const client = new QueryClient({
    defaultOptions: { mutations: { retry: false }, queries: { retry: false } },
  });
  render(
    <QueryClientProvider client={client}>
      <StravaConnection />
    </QueryClientProvider>,
  );
}

describe("StravaConnection", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    window.history.replaceState(null, "", "/");
  });

  it("starts the OAuth flow from Connect: asks the agent for Strava's URL and goes there", async () => {
    const authorizeUrl = "https://www.strava.com/oauth/authorize?client_id=1&state=s1";
    const fetchMock = agent({
      "GET /api/status": [STATUS_ON],
      "GET /api/providers/strava": [{ status: 200, body: UNLINKED }],
      "GET /api/providers/strava/connect": [{ status: 200, body: { authorizeUrl } }],
    });
    vi.stubGlobal("fetch", fetchMock);
    const assign = vi.spyOn(navigation, "assign").mockImplementation(() => {});
    renderIt();
    expect(await screen.findByText(/Not linked/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Disconnect Strava" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Connect Strava" }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith(authorizeUrl));
    expect((screen.getByRole("button", { name: "Opening Strava…" }) as HTMLButtonElement).disabled).toBe(
      true,
    );
    expect(String(fetchMock.mock.calls[2]?.[0])).toMatch(/\/api\/providers\/strava\/connect$/);
    expect(fetchMock.mock.calls[2]?.[1]?.credentials).toBe("include");
  });

  it("shows a linked athlete, disconnects with DELETE (with an Idempotency-Key) and shows it unlinked", async () => {
    window.history.replaceState(null, "", "/?provider=strava&status=connected#/workouts");
    const fetchMock = agent({
      "GET /api/status": [STATUS_ON],
      "GET /api/providers/strava": [{ status: 200, body: LINKED }],
      "DELETE /api/providers/strava": [{ status: 204 }],
    });
    vi.stubGlobal("fetch", fetchMock);
    renderIt();
    expect(await screen.findByText(/Linked to Strava athlete 4242 since/)).toBeTruthy();
    expect(screen.getByRole("status").textContent).toBe("Strava is connected.");
    // The return parameters are cleared from the address, the screen kept.
    expect(window.location.search).toBe("");
    expect(window.location.hash).toBe("#/workouts");
    expect(screen.queryByRole("button", { name: "Connect Strava" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Disconnect Strava" }));
    expect(await screen.findByText(/Strava is disconnected/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Connect Strava" })).toBeTruthy();
    expect(screen.getByTestId("strava").dataset.state).toBe("unlinked");
    const init = fetchMock.mock.calls[2]?.[1];
    expect(init?.method).toBe("DELETE");
    expect((init?.headers as Record<string, string> | undefined)?.["idempotency-key"]).toMatch(
      /^[0-9a-f]{32}$/,
    );
  });

  it("names the failure when disconnecting fails, and keeps the link shown", async () => {
    vi.stubGlobal(
      "fetch",
      agent({
        "GET /api/status": [STATUS_ON],
        "GET /api/providers/strava": [{ status: 200, body: LINKED }],
        "DELETE /api/providers/strava": [
          { status: 403, body: { status: 403, code: "forbidden", detail: "Origin not allowed." } },
        ],
      }),
    );
    renderIt();
    fireEvent.click(await screen.findByRole("button", { name: "Disconnect Strava" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Origin not allowed/);
    expect(screen.getByTestId("strava").dataset.state).toBe("linked");
  });

  it("says so when the agent has no Strava integration, with no buttons and without asking for the link", async () => {
    const fetchMock = agent({
      "GET /api/status": [{ status: 200, body: { ...STATUS_ON.body, providers: { strava: false } } }],
    });
    vi.stubGlobal("fetch", fetchMock);
    renderIt();
    expect(await screen.findByText(/does not import from Strava/)).toBeTruthy();
    expect(screen.queryAllByRole("button")).toHaveLength(0);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("reads an older agent's 404 (no providers in its status) as no Strava", async () => {
    vi.stubGlobal(
      "fetch",
      agent({
        "GET /api/status": [{ status: 200, body: { ...STATUS_ON.body, providers: undefined } }],
        "GET /api/providers/strava": [{ status: 404, body: { status: 404, code: "not_found" } }],
      }),
    );
    renderIt();
    expect(await screen.findByText(/does not import from Strava/)).toBeTruthy();
    expect(screen.queryAllByRole("button")).toHaveLength(0);
  });

  it("offers both buttons when Strava access was revoked on Strava's side", () => {
    expect(stravaLinkState({ ...LINKED, revoked: true })).toBe("revoked");
    expect(stravaLinkState(LINKED)).toBe("linked");
    expect(stravaLinkState(UNLINKED)).toBe("unlinked");
    expect(stravaLinkState(null)).toBe("unavailable");
  });
});

describe("the return from Strava", () => {
  it("is recognised only with provider=strava and status=connected", () => {
    expect(stravaReturnOf("?provider=strava&status=connected")).toBe("connected");
    expect(stravaReturnOf("?provider=strava&status=denied")).toBeNull();
    expect(stravaReturnOf("?provider=garmin&status=connected")).toBeNull();
    expect(stravaReturnOf("")).toBeNull();
  });

  it("goes to the Workouts screen, and leaves other addresses alone", () => {
    const back = { search: "?provider=strava&status=connected", hash: "" };
    routeStravaReturn(back);
    expect(back.hash).toBe("#/workouts");
    const other = { search: "", hash: "#/coach" };
    routeStravaReturn(other);
    expect(other.hash).toBe("#/coach");
  });
});
