import { expect } from "chai";
import { LruMap } from "../src/lruMap.ts";

describe("LruMap", () => {
  it("keeps at most maxSize entries, dropping the least recently read or written", () => {
    const map = new LruMap<string, number>(2);
    map.set("a", 1).set("b", 2);
    expect(map.get("a")).to.equal(1); // b is now the least recently used
    map.set("c", 3);
    expect([...map.keys()]).to.deep.equal(["a", "c"]);
    map.set("a", 10); // a write is a use too: c is now the oldest
    map.set("d", 4);
    expect([...map.entries()]).to.deep.equal([
      ["a", 10],
      ["d", 4],
    ]);
    expect(map.get("missing")).to.equal(undefined);
    expect(map.size).to.equal(2);
  });

  it("refuses a size that is not a positive integer", () => {
    expect(() => new LruMap(0)).to.throw(RangeError, /maxSize/);
    expect(() => new LruMap(1.5)).to.throw(RangeError, /maxSize/);
  });
});
