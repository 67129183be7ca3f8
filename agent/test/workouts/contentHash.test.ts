import { expect } from "chai";
import { activityContentHash, contentHash } from "../../src/workouts/contentHash.ts";
import { utf8 } from "./fixtures.ts";

describe("contentHash", () => {
  it("is keccak256 of the raw bytes, 0x-hex", () => {
    expect(contentHash(new Uint8Array(0))).to.equal(
      "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
    expect(contentHash(utf8("hello"))).to.equal(
      "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8",
    );
  });

  it("changes with a single byte", () => {
    expect(contentHash(utf8("<gpx/>"))).to.not.equal(contentHash(utf8("<gpx />")));
  });

  it("gives a single-activity file's activity the file hash and each activity of a multi-activity file its own", () => {
    const fileHash = contentHash(utf8("file"));
    expect(activityContentHash({ fileHash, index: 0, count: 1 })).to.equal(fileHash);
    const hashes = [0, 1, 2].map((index) => activityContentHash({ fileHash, index, count: 3 }));
    expect(new Set([...hashes, fileHash]).size).to.equal(4);
    expect(activityContentHash({ fileHash, index: 1, count: 3 })).to.equal(hashes[1]);
    for (const hash of hashes) expect(hash).to.match(/^0x[0-9a-f]{64}$/);
  });
});
