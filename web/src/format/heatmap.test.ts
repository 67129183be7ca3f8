import { describe, expect, it } from "vitest";
import { heatmapDays, localDate } from "./heatmap.ts";

describe("heatmapDays", () => {
  const today = new Date("2026-11-25T10:00:00Z"); // a Wednesday

  it("starts on a Monday, ends today, and counts per local day", () => {
    const days = heatmapDays(
      [new Date("2026-11-23T07:00:00Z"), new Date("2026-11-23T18:00:00Z"), new Date("2026-11-25T06:00:00Z")],
      today,
      2,
      "UTC",
    );
    expect(days[0]?.date).toBe("2026-11-16");
    expect(days.at(-1)?.date).toBe("2026-11-25");
    expect(days).toHaveLength(10);
    expect(days.find((d) => d.date === "2026-11-23")).toEqual({ date: "2026-11-23", count: 2, level: 2 });
    expect(days.find((d) => d.date === "2026-11-25")?.level).toBe(1);
    expect(days.find((d) => d.date === "2026-11-24")?.level).toBe(0);
  });

  it("uses the time zone to decide the day", () => {
    const late = new Date("2026-11-23T23:30:00Z");
    expect(localDate(late, "UTC")).toBe("2026-11-23");
    expect(localDate(late, "Europe/Berlin")).toBe("2026-11-24");
  });
});
