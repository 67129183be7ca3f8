import { strict as assert } from "node:assert";
import { protocol } from "@electric-sql/pglite";
import { type BindValue, bindExecuteSync } from "../../src/store/pgliteBindMessage.ts";

/** What PGlite's own serializer sends for the same execution. */
function pgliteBytes(statement: string, values: BindValue[]): Uint8Array {
  const parts = [
    protocol.serialize.bind({ statement, values: values as string[] }),
    protocol.serialize.execute({}),
    protocol.serialize.sync(),
  ];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe("Bind + Execute + Sync in one buffer (pgliteBindMessage.ts)", () => {
  const cases: Record<string, [string, BindValue[]]> = {
    "no parameters": ["pglite_1_s1", []],
    "text, null and empty text": ["pglite_1_s2", ["0xabc", null, "", "31337"]],
    "multi-byte UTF-8 and a lone surrogate": [
      "pglite_1_s3",
      ["é", "日本語", "🏃‍♀️ 5 km", "a\u0000b", "\uD800x"],
    ],
    "bytes, binary format": [
      "pglite_1_s4",
      [new Uint8Array([0, 255, 7]), Buffer.from("xyzw").subarray(1, 3), new Uint8Array([1, 2]).buffer, "t"],
    ],
    "a long name and a long value": [`pglite_12_s${"9".repeat(40)}`, ["x".repeat(70_000), null]],
  };
  for (const [name, [statement, values]] of Object.entries(cases)) {
    it(`writes exactly PGlite's bytes: ${name}`, () => {
      const ours = bindExecuteSync(Buffer.from(statement, "utf8"), values);
      assert.deepEqual(Buffer.from(ours), Buffer.from(pgliteBytes(statement, values)));
    });
  }
});
