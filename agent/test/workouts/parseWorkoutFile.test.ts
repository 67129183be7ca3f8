import { expect } from "chai";
import { AgentError, TooLargeError } from "../../src/errors.ts";
import { DEFAULT_WORKOUT_FILE_LIMITS, parseWorkoutFile } from "../../src/workouts/parseWorkoutFile.ts";
import { gpx, oneHourRunFit, prng, strengthFit, T0, tcx, track, utf8 } from "./fixtures.ts";

/** Runs parseWorkoutFile and returns "ok" or the typed error's code; any other throw fails the test. */
function outcome(bytes: Uint8Array): string {
  try {
    parseWorkoutFile(bytes);
    return "ok";
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    return error.code;
  }
}

describe("parseWorkoutFile", () => {
  it("refuses a file over maxBytes before looking at it (even garbage is file_too_large, not unsupported)", () => {
    const garbage = new Uint8Array(1025).fill(0x41);
    try {
      parseWorkoutFile(garbage, { ...DEFAULT_WORKOUT_FILE_LIMITS, maxBytes: 1024 });
      expect.fail("accepted");
    } catch (error) {
      expect(error).to.be.instanceOf(TooLargeError);
      expect((error as TooLargeError).code).to.equal("file_too_large");
      expect((error as TooLargeError).details).to.deep.equal({ limit: 1024, size: 1025 });
    }
    expect(outcome(garbage)).to.equal("unsupported_format");
  });

  it("has defaults of 25 MiB, 200,000 points and 20 activities", () => {
    expect(DEFAULT_WORKOUT_FILE_LIMITS).to.deep.equal({
      maxBytes: 26_214_400,
      maxPoints: 200_000,
      maxActivities: 20,
    });
  });

  it("refuses a TCX with more track points than maxPoints from its pre-count", () => {
    const text = tcx([
      {
        sport: "Running",
        laps: [{ start: T0, totalTimeSec: 600, points: track({ start: T0, seconds: 600, speedMps: 3 }) }],
      },
    ]);
    try {
      parseWorkoutFile(utf8(text), { ...DEFAULT_WORKOUT_FILE_LIMITS, maxPoints: 100 });
      expect.fail("accepted");
    } catch (error) {
      expect((error as AgentError).code).to.equal("too_many_points");
    }
  });

  it("never throws anything but typed errors on truncated or bit-flipped FIT files", function () {
    this.timeout(120_000);
    const random = prng(20261123);
    const seen = new Set<string>();
    for (const original of [oneHourRunFit(), strengthFit()]) {
      for (let i = 0; i < 40; i += 1) {
        seen.add(outcome(original.slice(0, Math.floor(random() * original.length))));
        const flipped = original.slice();
        for (let k = 0; k < 1 + Math.floor(random() * 8); k += 1) {
          const at = Math.floor(random() * flipped.length);
          flipped[at] = Math.floor(random() * 256);
        }
        seen.add(outcome(flipped));
      }
    }
    expect(
      [...seen].every((code) => ["ok", "corrupt_file", "unsupported_format", "not_a_workout"].includes(code)),
    ).to.equal(true, [...seen].join(","));
    expect(seen.has("ok")).to.equal(true);
  });

  it("never throws anything but typed errors on truncated or mangled GPX and TCX files", () => {
    const random = prng(7);
    const documents = [
      gpx({ type: "Running", segments: [track({ start: T0, seconds: 300, speedMps: 3, heartRate: 140 })] }),
      tcx([
        {
          sport: "Biking",
          laps: [{ start: T0, totalTimeSec: 300, points: track({ start: T0, seconds: 300, speedMps: 8 }) }],
        },
      ]),
    ];
    const seen = new Set<string>();
    for (const document of documents) {
      for (let i = 0; i < 60; i += 1) {
        seen.add(outcome(utf8(document.slice(0, Math.floor(random() * document.length)))));
        const at = Math.floor(random() * document.length);
        const junk =
          ["<", ">", "&", '"', "</trkpt>", "<!DOCTYPE x>", "\u0000", "&#0;", "<time>x</time>"][i % 9] ?? "";
        seen.add(outcome(utf8(document.slice(0, at) + junk + document.slice(at))));
      }
    }
    expect(
      [...seen].every((code) =>
        ["ok", "corrupt_file", "unsupported_format", "not_a_workout", "no_timestamps"].includes(code),
      ),
    ).to.equal(true, [...seen].join(","));
  });
});
