import { expect } from "chai";
import { AgentError, TooLargeError } from "../../src/errors.ts";
import { parseGpx } from "../../src/workouts/parseGpx.ts";
import {
  DEFAULT_WORKOUT_FILE_LIMITS,
  decodeXmlPieces,
  mayHoldMoreThan,
  parseWorkoutFile,
} from "../../src/workouts/parseWorkoutFile.ts";
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

  it("decodes XML in pieces that join to exactly the whole decoded text (invalid UTF-8, BOM, leading space)", () => {
    const random = prng(5122026);
    const whole = (bytes: Uint8Array) => new TextDecoder("utf-8", { fatal: false }).decode(bytes).trimStart();
    const samples: Uint8Array[] = [
      utf8("<a>é ü 漢字 😀</a>"),
      Uint8Array.from([0xef, 0xbb, 0xbf, 0x20, 0x0a, ...utf8("<a>x</a>")]),
      utf8(""),
      utf8("   "),
    ];
    for (let s = 0; s < 300; s += 1) {
      // Bytes around '<' and multi-byte sequences, valid or cut short: an incomplete sequence before a cut.
      const bytes = new Uint8Array(1 + Math.floor(random() * 400));
      const alphabet = [
        0x3c, 0x3e, 0x20, 0x61, 0xc3, 0xa9, 0xe6, 0xbc, 0xa2, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xef, 0xbb, 0xbf,
      ];
      for (let i = 0; i < bytes.length; i += 1)
        bytes[i] = alphabet[Math.floor(random() * alphabet.length)] ?? 0;
      samples.push(bytes);
    }
    let cuts = 0;
    for (const bytes of samples) {
      for (const pieceBytes of [1, 7, 64 * 1024]) {
        const pieces = decodeXmlPieces(bytes, pieceBytes);
        expect(pieces.join("")).to.equal(whole(bytes));
        for (const piece of pieces.slice(1)) expect(piece.startsWith("<")).to.equal(true);
        cuts += pieces.length - 1;
      }
    }
    expect(cuts).to.be.greaterThan(1000);
  });

  it("parses a GPX of many pieces as the whole text (a 1 h track, ~740 KB, 12 pieces)", () => {
    const hour = track({ start: T0, seconds: 3599, speedMps: 3, heartRate: (s) => 150 + (s % 7) });
    const bytes = utf8(gpx({ type: "running", segments: [hour] }));
    expect(decodeXmlPieces(bytes)).to.have.length.greaterThan(10);
    const [parsed] = parseWorkoutFile(bytes);
    const [fromWhole] = parseGpx(new TextDecoder().decode(bytes), DEFAULT_WORKOUT_FILE_LIMITS);
    const { contentHash: _c, fileHash: _f, format, ...activity } = parsed ?? expect.fail("no activity");
    expect(format).to.equal("gpx");
    expect(activity).to.deep.equal(fromWhole);
    // The DOCTYPE check and the point pre-count see every piece.
    const text = new TextDecoder().decode(bytes);
    const end = text.lastIndexOf("</trk>");
    const doctype = utf8(`${text.slice(0, end)}<!doctype x>${text.slice(end)}`);
    expect(() => parseWorkoutFile(doctype))
      .to.throw(AgentError)
      .with.property("details")
      .that.deep.equals({ reason: "doctype" });
    expect(() => parseWorkoutFile(bytes, { ...DEFAULT_WORKOUT_FILE_LIMITS, maxPoints: 3599 }))
      .to.throw(TooLargeError)
      .with.property("details")
      .that.deep.equals({ limit: 3599, seen: 3600 });
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

  it("refuses a DOCTYPE or an entity declaration in any case, anywhere in the document", () => {
    const text = gpx({ segments: [track({ start: T0, seconds: 60, speedMps: 3 })] });
    const end = text.lastIndexOf("</trk>");
    for (const declaration of [
      "<!DOCTYPE x>",
      "<!doctype x>",
      "<!DocType x>",
      '<!ENTITY a "b">',
      '<!entity a "b">',
    ]) {
      for (const at of [text.indexOf("<trk>"), end]) {
        const bytes = utf8(`${text.slice(0, at)}${declaration}${text.slice(at)}`);
        expect(() => parseWorkoutFile(bytes), `${declaration} at ${at}`)
          .to.throw(AgentError)
          .with.property("details")
          .that.deep.equals({ reason: "doctype" });
      }
    }
    expect(outcome(utf8(text.replace("<trk>", "<trk><!-- DOCTYPE ENTITY -->")))).to.equal("ok");
  });

  it("pre-counts only documents long enough to hold more point tags than the limit, over all their pieces", () => {
    expect(mayHoldMoreThan(["<trkpt<trkpt"], "<trkpt", 1)).to.equal(true);
    expect(mayHoldMoreThan(["<trkpt<trkp"], "<trkpt", 1)).to.equal(false);
    expect(mayHoldMoreThan(["<trkpt", "<trkpt"], "<trkpt", 1)).to.equal(true);
    expect(mayHoldMoreThan(["<trkpt", "<trkpt"], "<trkpt", 2)).to.equal(false);
    // Seven points in as few characters as a GPX allows them: refused at a limit of six (the pre-count runs),
    // while a limit of seven lets a document of that length through without a search.
    const text = `<gpx><trk><trkseg>${"<trkpt/>".repeat(7)}</trkseg></trk></gpx>`;
    const pieces = decodeXmlPieces(utf8(text));
    expect(mayHoldMoreThan(pieces, "<trkpt", 6)).to.equal(true);
    expect(() => parseWorkoutFile(utf8(text), { ...DEFAULT_WORKOUT_FILE_LIMITS, maxPoints: 6 }))
      .to.throw(TooLargeError)
      .with.property("details")
      .that.deep.equals({ limit: 6, seen: 7 });
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
