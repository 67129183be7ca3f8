import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import Review from "../routes/Review.tsx";
import { RequestReview } from "./RequestReview.tsx";

const WORKOUT_ID = "8f0c1a9e-0000-4000-8000-000000000001";
const REVIEW_ID = "5d2b7c11-0000-4000-8000-000000000002";

function answer(status: number, body: unknown, type = "application/json") {
  return vi.fn(
    async (_url: RequestInfo | URL, _init?: RequestInit) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": type } }),
  );
}

function renderWithClient(node: React.ReactNode) {
  const client = new QueryClient({
    defaultOptions: { mutations: { retry: false }, queries: { retry: false } },
  });
  render(<QueryClientProvider client={client}>{node}</QueryClientProvider>);
}

const PENDING = {
  id: REVIEW_ID,
  workoutId: WORKOUT_ID,
  status: "pending",
  note: "Recorded on my watch on the canal path.",
  requestedAt: "2026-11-25T12:00:00.000Z",
  decision: null,
  owner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  workout: {
    id: WORKOUT_ID,
    source: "fit",
    sport: "run",
    startTime: "2026-11-23T07:00:00.000Z",
    durationSec: 2700,
    elapsedSec: 2700,
    distanceM: 8100,
    avgHeartRate: 150,
    verdict: {
      status: "rejected",
      reasons: [
        { code: "synthetic_track", message: "The track looks generated, not recorded: a constant pace." },
      ],
    },
  },
};

describe("RequestReview", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("sends the note once with POST /api/workouts/:id/review and says so", async () => {
    const fetchMock = answer(201, {
      review: { ...PENDING, owner: undefined, workout: undefined },
    });
    vi.stubGlobal("fetch", fetchMock);
    renderWithClient(<RequestReview workoutId={WORKOUT_ID} />);
    fireEvent.click(screen.getByRole("button", { name: "Request review" }));
    const send = screen.getByRole("button", { name: "Send for review" }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("What should the reviewer know?"), {
      target: { value: "  It was my run.  " },
    });
    fireEvent.click(send);
    await waitFor(() =>
      expect(screen.getByTestId("review-requested").textContent).toMatch(/Review requested/),
    );
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(String(url)).toBe(`http://127.0.0.1:8787/api/workouts/${WORKOUT_ID}/review`);
    expect(init?.method).toBe("POST");
    expect(JSON.parse(String(init?.body))).toEqual({ note: "It was my run." });
  });

  it("reads an earlier request (409 review_exists) as already sent", async () => {
    vi.stubGlobal(
      "fetch",
      answer(409, { code: "review_exists", detail: "already" }, "application/problem+json"),
    );
    renderWithClient(<RequestReview workoutId={WORKOUT_ID} />);
    fireEvent.click(screen.getByRole("button", { name: "Request review" }));
    fireEvent.change(screen.getByLabelText("What should the reviewer know?"), { target: { value: "again" } });
    fireEvent.click(screen.getByRole("button", { name: "Send for review" }));
    await waitFor(() => expect(screen.getByTestId("review-requested").textContent).toMatch(/already sent/));
  });
});

describe("Review (operator queue)", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("tells a non-operator this page is not theirs", async () => {
    vi.stubGlobal("fetch", answer(403, { code: "not_operator" }, "application/problem+json"));
    renderWithClient(<Review />);
    await waitFor(() => expect(screen.getByText(/Only review operators/)).toBeTruthy());
  });

  it("lists a pending review with its reasons and note, and accepts it with the decision note", async () => {
    const fetchMock = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const body =
        init?.method === "POST"
          ? {
              review: {
                ...PENDING,
                status: "accepted",
                decision: { note: "ok", at: "2026-11-25T13:00:00.000Z" },
              },
              workout: {
                id: WORKOUT_ID,
                source: "fit",
                sport: "run",
                startTime: "2026-11-23T07:00:00Z",
                durationSec: 2700,
                elapsedSec: 2700,
                distanceM: 8100,
                avgHeartRate: 150,
                verdict: { status: "accepted", reasons: [], countsFor: [], notCounted: [] },
              },
            }
          : {
              reviews:
                String(url).includes("/api/review") && fetchMock.mock.calls.length > 1 ? [] : [PENDING],
              nextCursor: null,
            };
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    });
    vi.stubGlobal("fetch", fetchMock);
    renderWithClient(<Review />);
    await waitFor(() => expect(screen.getByTestId("review-item")).toBeTruthy());
    expect(screen.getByText(/constant pace/)).toBeTruthy();
    expect(screen.getByText("Recorded on my watch on the canal path.")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Decision note (kept in the audit log)"), {
      target: { value: "ok" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Accept" }));
    await waitFor(() => expect(screen.getByText("No review is waiting.")).toBeTruthy());
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === "POST");
    expect(String(post?.[0])).toBe(`http://127.0.0.1:8787/api/review/${REVIEW_ID}`);
    expect(JSON.parse(String(post?.[1]?.body))).toEqual({ decision: "accept", note: "ok" });
  });
});
