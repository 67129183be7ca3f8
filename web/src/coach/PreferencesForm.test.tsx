import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { formValuesOf, PreferencesForm, preferencesInputOf } from "./PreferencesForm.tsx";

const SAVED = {
  channels: ["inApp", "email"],
  timezone: "Europe/Paris",
  quietHours: { start: "21:30", end: "06:45" },
  dailyCap: 2,
  email: "me@example.org",
  webhookUrl: null,
  saved: true,
};
const DEFAULTS = {
  channels: ["inApp"],
  timezone: null,
  quietHours: { start: "22:00", end: "07:00" },
  dailyCap: 2,
  email: null,
  webhookUrl: null,
  saved: false,
};

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json" },
  });
}

function renderIt() {
  const client = new QueryClient({
    defaultOptions: { mutations: { retry: false }, queries: { retry: false } },
  });
  render(
    <QueryClientProvider client={client}>
      <PreferencesForm />
    </QueryClientProvider>,
  );
}

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe("PreferencesForm", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("shows the saved values, then saves the edited ones with PUT", async () => {
    const fetchMock = vi
      .fn(async (_url: RequestInfo | URL, _init?: RequestInit) => json(200, SAVED))
      .mockResolvedValueOnce(json(200, SAVED))
      .mockResolvedValueOnce(json(200, { ...SAVED, quietHours: { start: "23:00", end: "06:45" } }));
    vi.stubGlobal("fetch", fetchMock);
    renderIt();
    expect(await screen.findByText("Your saved preferences.")).toBeTruthy();
    expect(input("Email (optional)").value).toBe("me@example.org");
    expect(input("Quiet from").value).toBe("21:30");
    expect(input("Quiet until").value).toBe("06:45");
    expect(input("Time zone").value).toBe("Europe/Paris");
    expect(input("Webhook URL (optional)").value).toBe("");

    fireEvent.change(input("Quiet from"), { target: { value: "23:00" } });
    fireEvent.click(screen.getByRole("button", { name: "Save preferences" }));
    expect(await screen.findByText("Saved.")).toBeTruthy();
    const [url, init] = fetchMock.mock.calls[1] ?? [];
    expect(String(url)).toBe("http://127.0.0.1:8787/api/preferences");
    expect(init?.method).toBe("PUT");
    expect(JSON.parse(String(init?.body))).toEqual({
      timezone: "Europe/Paris",
      quietHours: { start: "23:00", end: "06:45" },
      channels: ["inApp", "email"],
      email: "me@example.org",
    });
    // What is typed stays after the save's answer refreshes the cache.
    expect(input("Quiet from").value).toBe("23:00");
  });

  it("says when the values are the defaults (nothing saved yet)", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json(200, DEFAULTS)),
    );
    renderIt();
    expect(await screen.findByText(/Nothing saved yet/)).toBeTruthy();
    expect(input("Quiet from").value).toBe("22:00");
    expect(input("Time zone").value).not.toBe("");
  });

  it("shows no form while the saved values cannot be read, and offers to try again", async () => {
    const fetchMock = vi
      .fn(async (_url: RequestInfo | URL, _init?: RequestInit) => json(200, SAVED))
      .mockResolvedValueOnce(json(503, { status: 503, code: "store_unavailable", detail: "Store down." }));
    vi.stubGlobal("fetch", fetchMock);
    renderIt();
    expect((await screen.findByRole("alert")).textContent).toMatch(/Store down/);
    expect(screen.queryByRole("button", { name: "Save preferences" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(input("Time zone").value).toBe("Europe/Paris"));
  });

  it("maps values both ways", () => {
    const values = formValuesOf({ ...DEFAULTS, channels: ["inApp"] } as never, "Asia/Tokyo");
    expect(values).toEqual({
      email: "",
      webhookUrl: "",
      quietStart: "22:00",
      quietEnd: "07:00",
      timezone: "Asia/Tokyo",
    });
    expect(preferencesInputOf({ ...values, webhookUrl: " https://hooks.example.org/x " })).toEqual({
      timezone: "Asia/Tokyo",
      quietHours: { start: "22:00", end: "07:00" },
      channels: ["inApp", "webhook"],
      webhookUrl: "https://hooks.example.org/x",
    });
  });
});
