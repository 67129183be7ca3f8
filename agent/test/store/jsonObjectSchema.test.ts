import { strict as assert } from "node:assert";
import { z } from "zod";
import { isJsonValue, JSON_DEPTH_MAX, jsonObjectSchema } from "../../src/store/values.ts";

/** The schema it replaced: its verdicts are the reference. */
const zodJsonObject = z.record(z.string(), z.json());

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { inner: value };
  return value;
}

class Point {
  x = 1;
}

const CASES: [string, unknown][] = [
  ["an empty object", {}],
  ["scalars", { s: "text", n: -1.5, zero: 0, big: 1e21, t: true, f: false, none: null }],
  ["arrays and objects inside", { list: [1, "x", null, true, { inner: [] }], object: { a: { b: "c" } } }],
  ["a null-prototype object", Object.assign(Object.create(null), { a: 1 })],
  ["NaN", { n: Number.NaN }],
  ["Infinity", { n: Number.POSITIVE_INFINITY }],
  ["undefined", { u: undefined }],
  ["undefined in an array", { list: [1, undefined] }],
  ["a bigint", { amount: 1n }],
  ["a function", { f: () => 1 }],
  ["a symbol value", { s: Symbol("s") }],
  ["a Date", { at: new Date(0) }],
  ["a Map", { m: new Map() }],
  ["a class instance", { p: new Point() }],
  ["a class instance at the top", new Point()],
  ["an array at the top", [1, 2]],
  ["a string at the top", "text"],
  ["null at the top", null],
  ["nested 20 deep", nested(20)],
  ["an object inheriting from a plain object", Object.create({ inherited: 1 })],
  [
    "a non-enumerable symbol key",
    Object.defineProperty({ a: 1 }, Symbol("hidden"), { value: 2, enumerable: false }),
  ],
  ["an object whose constructor is not a function", { constructor: "text" }],
];

describe("jsonObjectSchema (values.ts)", () => {
  for (const [name, value] of CASES) {
    it(`${name}: the same verdict as z.record(z.string(), z.json())`, () => {
      const expected = zodJsonObject.safeParse(value).success;
      assert.equal(jsonObjectSchema.safeParse(value).success, expected);
    });
  }

  it("refuses what JSON would drop or misread (zod dropped a __proto__ key silently): an enumerable symbol key, __proto__", () => {
    assert.equal(jsonObjectSchema.safeParse({ a: 1, [Symbol("hidden")]: 2 }).success, false);
    const parsed: unknown = JSON.parse('{"a":1,"__proto__":{"x":1}}');
    assert.equal(zodJsonObject.safeParse(parsed).success, true);
    assert.equal(jsonObjectSchema.safeParse(parsed).success, false);
    assert.equal(jsonObjectSchema.safeParse({ nested: JSON.parse('{"__proto__":1}') }).success, false);
  });

  it(`accepts ${JSON_DEPTH_MAX} levels and refuses more, and a cycle, without overflowing the stack`, () => {
    assert.equal(isJsonValue(nested(JSON_DEPTH_MAX)), true);
    assert.equal(isJsonValue(nested(JSON_DEPTH_MAX + 1)), false);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    assert.equal(jsonObjectSchema.safeParse(cycle).success, false);
  });

  it("names what a JSON object may hold when it refuses one", () => {
    const result = jsonObjectSchema.safeParse({ amount: 1n });
    assert.equal(result.success, false);
    assert.match(result.error?.issues[0]?.message ?? "", /must be a JSON object/);
  });
});
