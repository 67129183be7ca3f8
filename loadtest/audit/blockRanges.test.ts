import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readInRanges } from "./blockRanges.ts";

describe("readInRanges: a span of blocks read in ranges", () => {
  it("covers every block once, in order, in ranges of at most the size asked", async () => {
    const asked: [bigint, bigint][] = [];
    const blocks = await readInRanges(
      10n,
      24n,
      async (a, b) => {
        asked.push([a, b]);
        const out: bigint[] = [];
        for (let n = a; n <= b; n += 1n) out.push(n);
        return out;
      },
      6n,
    );
    assert.deepEqual(asked, [
      [10n, 15n],
      [16n, 21n],
      [22n, 24n],
    ]);
    assert.deepEqual(
      blocks,
      Array.from({ length: 15 }, (_, i) => BigInt(10 + i)),
    );
  });

  it("halves a range whose read fails (an answer too large) and goes on with the smaller size", async () => {
    const asked: [bigint, bigint][] = [];
    const blocks = await readInRanges(
      0n,
      7n,
      async (a, b) => {
        asked.push([a, b]);
        if (b - a + 1n > 2n) throw new Error("response body exceeded the size limit");
        return [a];
      },
      8n,
    );
    assert.deepEqual(asked, [
      [0n, 7n],
      [0n, 3n],
      [0n, 1n],
      [2n, 3n],
      [4n, 5n],
      [6n, 7n],
    ]);
    assert.deepEqual(blocks, [0n, 2n, 4n, 6n]);
  });

  it("gives up with the read's error when a single block cannot be read", async () => {
    await assert.rejects(
      readInRanges(5n, 5n, async () => {
        throw new Error("node down");
      }),
      /node down/,
    );
  });

  it("reads nothing for an empty span", async () => {
    assert.deepEqual(await readInRanges(9n, 8n, async () => [1]), []);
  });
});
