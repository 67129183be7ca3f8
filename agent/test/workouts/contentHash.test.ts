import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { concatHex, keccak256, numberToHex } from "viem";
import { activityContentHash, contentHash, keccak256Bytes } from "../../src/workouts/contentHash.ts";
import { parseWorkoutFile } from "../../src/workouts/parseWorkoutFile.ts";
import { utf8 } from "./fixtures.ts";

const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));

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

  // The hash moved from viem's JS keccak256 to hash-wasm's WebAssembly Keccak (issue 18). Files already stored
  // must keep their hashes, or a re-upload would no longer be recognised as a duplicate.
  it("equals viem's keccak256 over every real device file and over odd lengths around the 136-byte rate", () => {
    const names = readdirSync(FIXTURES).filter((name) => /\.(fit|gpx|tcx)$/.test(name));
    expect(names.length).to.be.greaterThan(30);
    for (const name of names) {
      const bytes = readFileSync(FIXTURES + name);
      expect(contentHash(bytes), name).to.equal(keccak256(bytes));
    }
    for (const length of [1, 135, 136, 137, 271, 272, 273, 65_537]) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      expect(keccak256Bytes(bytes), `length ${length}`).to.equal(keccak256(bytes));
    }
  });

  it("keeps the hashes stored before the move (files and the activities of multi-activity files)", () => {
    const stored: [string, string, string][] = [
      [
        "fit_garmin_fenix2_run.fit",
        "0xb25a6a912c1bfca676eff863a0af0a2366f2364278f1a64ed6585c1bafb2ca38",
        "0x3a7308bd9c77d8763b6c33a7ac2b6dd88c00eb2bee02811712fe3b5e4e3d3412",
      ],
      [
        "gpx_amazfit_run_hr.gpx",
        "0x79cc27d84d5b0b02075625626546c30f27ec0255c05b18a4dfb7a740d56c3ac3",
        "0x68237b30817b111fbdb1b17b7a9112bb2fca476fa8f66d6f481a8e1b66e39007",
      ],
      [
        "tcx_garmin_fr305_multi_activity.tcx",
        "0x163da5a388fa1df7bd00000f3cc45cb122437757d8d08c0ce17c3b62f5c77609",
        "0xaf24315720e854ebd20aa811684cf73a95c13917e161cc7eeae200d4a2136c98",
      ],
    ];
    for (const [name, fileHash, secondActivityHash] of stored) {
      expect(contentHash(readFileSync(FIXTURES + name)), name).to.equal(fileHash);
      expect(activityContentHash({ fileHash: fileHash as `0x${string}`, index: 1, count: 2 }), name).to.equal(
        secondActivityHash,
      );
      expect(secondActivityHash).to.equal(
        keccak256(concatHex([fileHash as `0x${string}`, numberToHex(1, { size: 4 })])),
      );
    }
    const multi = parseWorkoutFile(readFileSync(`${FIXTURES}tcx_garmin_fr305_multi_activity.tcx`));
    expect(multi.length).to.be.greaterThan(1);
    expect(multi[1]?.contentHash).to.equal(
      "0xaf24315720e854ebd20aa811684cf73a95c13917e161cc7eeae200d4a2136c98",
    );
  });
});
