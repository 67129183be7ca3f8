import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { uploadWorkoutFile } from "../api/agentClient.ts";
import type { SportVerdict, Workout } from "../api/schemas.ts";
import { sportOriginText, WorkoutSport } from "./WorkoutSport.tsx";

const INFERRED: SportVerdict = {
  origin: "inferred",
  declarable: true,
  message: "sport inferred: run — median pace 5:10 /km, cadence 168 spm (confidence 0.85)",
  inferred: {
    sport: "run",
    candidate: "run",
    confidence: 0.85,
    basis: ["median pace 5:10 /km", "cadence 168 spm"],
  },
  fileSport: "Other",
};
const UNKNOWN: SportVerdict = {
  origin: "unknown",
  declarable: true,
  message:
    "sport not inferred (confidence 0.50, needs 0.60): walking pace (4.0 km/h) without step cadence or climbing could as well be paddling or a slow ride",
  inferred: { sport: "other", candidate: "walk", confidence: 0.5, basis: ["median pace 15:00 /km"] },
};

function workout(sport: string, verdict: SportVerdict | undefined): Workout {
  return {
    id: "8f0c1a9e-0000-4000-8000-000000000001",
    source: "gpx",
    sport,
    startTime: "2026-11-23T06:00:00Z",
    durationSec: 2400,
    elapsedSec: 2400,
    distanceM: 2600,
    avgHeartRate: null,
    verdict: {
      status: "accepted",
      reasons: [],
      countsFor: [],
      notCounted: [],
      ...(verdict !== undefined ? { sport: verdict } : {}),
    },
  };
}

function answer(status: number, body: unknown, type = "application/json") {
  return vi.fn(
    async (_url: RequestInfo | URL, _init?: RequestInit) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": type } }),
  );
}

function renderSport(w: Workout, onDeclared = vi.fn()) {
  const client = new QueryClient({ defaultOptions: { mutations: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <WorkoutSport workout={w} onDeclared={onDeclared} />
    </QueryClientProvider>,
  );
  return onDeclared;
}

describe("sportOriginText", () => {
  it("says a named sport plainly, also for agents that do not send verdict.sport", () => {
    expect(sportOriginText("ride", { origin: "named", declarable: false })).toEqual({
      summary: "Sport: ride.",
    });
    expect(sportOriginText("ride", undefined)).toEqual({ summary: "Sport: ride." });
  });

  it("says an inferred sport and what it was read from, with the confidence in percent", () => {
    expect(sportOriginText("run", INFERRED)).toEqual({
      summary: "Sport: run, inferred from the data — the file does not say.",
      detail: "Read from: median pace 5:10 /km, cadence 168 spm (confidence 85 %).",
    });
  });

  it("says why an open sport was not recognised", () => {
    expect(sportOriginText("other", UNKNOWN)).toEqual({
      summary: "Sport: not recognised — the file does not say, and the data was not clear enough.",
      detail:
        "Why: walking pace (4.0 km/h) without step cadence or climbing could as well be paddling or a slow ride.",
    });
  });

  it("says a declared sport, and what the data alone suggested when that differs", () => {
    expect(sportOriginText("strength", { ...UNKNOWN, origin: "declared" })).toEqual({
      summary: "Sport: strength, as you declared it.",
      detail: "The data alone suggested walk (confidence 50 %).",
    });
    expect(sportOriginText("walk", { ...UNKNOWN, origin: "declared" })).toEqual({
      summary: "Sport: walk, as you declared it.",
    });
  });
});

describe("WorkoutSport", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("shows a named sport without a form", () => {
    renderSport(workout("ride", { origin: "named", declarable: false }));
    expect(screen.getByTestId("workout-sport").dataset.origin).toBe("named");
    expect(screen.queryByRole("form", { name: "Declare the sport" })).toBeNull();
  });

  it("shows the inferred sport with its basis, and a labelled choice preset to it", () => {
    renderSport(workout("run", INFERRED));
    expect(screen.getByText("Sport: run, inferred from the data — the file does not say.")).toBeTruthy();
    expect(screen.getByText(/Read from: median pace 5:10 \/km/)).toBeTruthy();
    const select = screen.getByLabelText("What was it?") as HTMLSelectElement;
    expect(select.value).toBe("run");
  });

  it("declares the chosen sport with PATCH and reports the workout the agent answers", async () => {
    const declared = workout("walk", { ...UNKNOWN, origin: "declared" });
    const fetchMock = answer(200, { workout: declared });
    vi.stubGlobal("fetch", fetchMock);
    const onDeclared = renderSport(workout("other", UNKNOWN));
    const select = screen.getByLabelText("What was it?") as HTMLSelectElement;
    // Preset to the data's best guess.
    expect(select.value).toBe("walk");
    fireEvent.change(select, { target: { value: "swim" } });
    fireEvent.click(screen.getByRole("button", { name: "Save sport" }));
    await waitFor(() => expect(onDeclared).toHaveBeenCalledWith(declared));
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(String(url)).toBe("http://127.0.0.1:8787/api/workouts/8f0c1a9e-0000-4000-8000-000000000001");
    expect(init?.method).toBe("PATCH");
    expect(init?.credentials).toBe("include");
    expect(JSON.parse(String(init?.body))).toEqual({ sport: "swim" });
    expect(screen.getByTestId("sport-saved").textContent).toBe("Saved: walk.");
  });

  it("shows the agent's refusal (the data does not fit the sport) as an alert", async () => {
    vi.stubGlobal(
      "fetch",
      answer(
        422,
        {
          type: "urn:x",
          title: "Unprocessable Content",
          status: 422,
          detail:
            "sport: the data is not plausible for walk. Not plausible for walk: a median moving speed of 21.6 km/h.",
          code: "implausible_speed",
          field: "sport",
        },
        "application/problem+json",
      ),
    );
    const onDeclared = renderSport(workout("other", UNKNOWN));
    fireEvent.click(screen.getByRole("button", { name: "Save sport" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("not plausible for walk");
    expect(onDeclared).not.toHaveBeenCalled();
  });
});

describe("uploadWorkoutFile", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends the sport the person chose beside the file, and nothing when they left it to the agent", async () => {
    const fetchMock = answer(201, { workouts: [] });
    vi.stubGlobal("fetch", fetchMock);
    const file = new File(["<gpx/>"], "walk.gpx", { type: "application/gpx+xml" });
    await uploadWorkoutFile(file, "swim");
    await uploadWorkoutFile(file);
    const withSport = fetchMock.mock.calls[0]?.[1]?.body as FormData;
    const without = fetchMock.mock.calls[1]?.[1]?.body as FormData;
    expect(withSport.get("sport")).toBe("swim");
    expect(withSport.get("file")).toBeInstanceOf(File);
    expect(without.has("sport")).toBe(false);
  });
});
