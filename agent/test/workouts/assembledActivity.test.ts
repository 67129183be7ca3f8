import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import {
  ACTIVITY_KEYS,
  DISTANCE_STEPS_KEYS,
  JUMP_KEYS,
  PROBLEM_KEYS,
  parseAssembledActivity,
  SUMMARY_KEYS,
} from "../../src/workouts/assembledActivity.ts";
import { assembledActivitySchema, parsedActivitySchema } from "../../src/workouts/parsedActivity.ts";
import { parseWorkoutFile } from "../../src/workouts/parseWorkoutFile.ts";
import { sampleSummarySchema } from "../../src/workouts/sampleSummary.ts";
import { gpx, multiSessionFit, oneHourRunFit, prng, strengthFit, T0, tcx, track, utf8 } from "./fixtures.ts";

/**
 * parseAssembledActivity against the schema it stands in for: the same value (keys, their order, undefined
 * keys kept, nested objects anew, the builder's arrays as they are) for every activity of the fixtures, and
 * the same value or the same error for thousands of broken ones.
 */
const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));

/** The value with its keys in order and undefined values visible. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v === undefined ? "__undefined__" : v));
}

function outcome(parse: (value: unknown) => unknown, value: unknown): string {
  try {
    return canonical(parse(value));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

function activities(): Record<string, unknown>[] {
  const files = [
    oneHourRunFit(),
    strengthFit(),
    multiSessionFit(),
    utf8(
      gpx({ type: "running", segments: [track({ start: T0, seconds: 600, speedMps: 3, heartRate: 150 })] }),
    ),
    utf8(tcx([{ sport: "Running", laps: [{ start: T0, totalTimeSec: 60, points: [] }] }])),
  ];
  if (existsSync(FIXTURES)) {
    for (const name of readdirSync(FIXTURES)) {
      if (/\.(fit|gpx|tcx)$/.test(name)) files.push(new Uint8Array(readFileSync(FIXTURES + name)));
    }
  }
  const found: Record<string, unknown>[] = [];
  for (const bytes of files) {
    try {
      for (const { contentHash: _c, fileHash: _f, format: _t, ...activity } of parseWorkoutFile(bytes))
        found.push(activity);
    } catch {
      // Files that yield no activity have nothing to assemble.
    }
  }
  return found;
}

const BAD_VALUES: unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1,
  -0,
  0,
  1.5,
  2 ** 31,
  2 ** 53,
  "x",
  "",
  "a".repeat(201),
  undefined,
  null,
  [],
  {},
  true,
  "run",
  "corrupt_file",
];

/** A copy of `activity` with one field, somewhere in it, set to a bad value, deleted, or joined by another. */
function broken(activity: Record<string, unknown>, random: () => number): unknown {
  const copy = structuredClone(activity) as Record<string, unknown>;
  const samples = copy.samples as Record<string, unknown>;
  const targets: Record<string, unknown>[] = [copy, samples, samples, samples];
  for (const key of ["jumps", "problems"] as const) {
    const list = (key === "jumps" ? samples.jumps : copy.problems) as Record<string, unknown>[];
    if (list.length > 0) targets.push(list[Math.floor(random() * list.length)] as Record<string, unknown>);
  }
  if (typeof samples.distanceSteps === "object" && samples.distanceSteps !== null)
    targets.push(samples.distanceSteps as Record<string, unknown>);
  const target = targets[Math.floor(random() * targets.length)] as Record<string, unknown>;
  const keys = Object.keys(target);
  const key = keys[Math.floor(random() * keys.length)] ?? "source";
  const change = random();
  if (change < 0.1) delete target[key];
  else if (change < 0.15) target.extra = 1;
  else target[key] = BAD_VALUES[Math.floor(random() * BAD_VALUES.length)];
  return copy;
}

describe("parseAssembledActivity", () => {
  const all = activities();

  it("knows the schemas' keys in the schemas' order", () => {
    const summaryShape = sampleSummarySchema.shape;
    expect(ACTIVITY_KEYS).to.deep.equal(Object.keys(parsedActivitySchema.shape));
    expect(SUMMARY_KEYS).to.deep.equal(Object.keys(summaryShape));
    expect(JUMP_KEYS).to.deep.equal(Object.keys(summaryShape.jumps.element.shape));
    expect(DISTANCE_STEPS_KEYS).to.deep.equal(Object.keys(summaryShape.distanceSteps.unwrap().shape));
    expect(PROBLEM_KEYS).to.deep.equal(Object.keys(parsedActivitySchema.shape.problems.element.shape));
  });

  it("gives the schema's value for every activity of the fixtures and generated files", () => {
    expect(all.length).to.be.greaterThan(4);
    for (const activity of all) {
      const expected = outcome((v) => assembledActivitySchema.parse(v), activity);
      expect(expected).to.not.match(/^error/);
      expect(outcome(parseAssembledActivity, activity)).to.equal(expected);
      // An optional key given as undefined is kept, one left out stays out.
      const { cadenceKind: _kind, ...withoutKey } = activity;
      expect(outcome(parseAssembledActivity, withoutKey)).to.equal(
        outcome((v) => assembledActivitySchema.parse(v), withoutKey),
      );
    }
  });

  it("gives the schema's value or its error for 2,000 broken activities", () => {
    const random = prng(2026);
    let errors = 0;
    for (let i = 0; i < 2000; i += 1) {
      const input = broken(all[i % all.length] ?? {}, random);
      const expected = outcome((v) => assembledActivitySchema.parse(v), input);
      if (expected.startsWith("error")) errors += 1;
      expect(outcome(parseAssembledActivity, input), `case ${i}`).to.equal(expected);
    }
    expect(errors).to.be.within(400, 1800);
  });

  it("keeps the builder's bins, preview and track as they are, and makes the other objects anew", () => {
    const activity = all[0] as Record<string, unknown>;
    const samples = activity.samples as Record<string, unknown>;
    const parsed = parseAssembledActivity(activity);
    expect(parsed).to.not.equal(activity);
    expect(parsed.samples).to.not.equal(samples);
    expect(parsed.samples.speedSeconds).to.equal(samples.speedSeconds);
    expect(parsed.samples.preview).to.equal(samples.preview);
    expect(parsed.samples.track).to.equal(samples.track);
    expect(parsed.samples.jumps).to.not.equal(samples.jumps);
    expect(parsed.problems).to.not.equal(activity.problems);
  });
});
