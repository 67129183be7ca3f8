import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { AgentError } from "../../src/errors.ts";
import { readGpxTrackPoint, rememberedGpxTrackPointNames } from "../../src/workouts/gpxTrackPoint.ts";
import { type GpxReadMode, parseGpx } from "../../src/workouts/parseGpx.ts";
import { decodeXmlPieces } from "../../src/workouts/parseWorkoutFile.ts";
import { newSamplePoint } from "../../src/workouts/sampleSummary.ts";
import { parseNumberAt, parseNumberText } from "../../src/workouts/trackXml.ts";
import { gpx, prng, T0, track, utf8 } from "./fixtures.ts";

/**
 * The GPX track-point fast path (gpxTrackPoint.ts) against the general path (every element by the reader's
 * events): the same activities, or the same error with the same offset, on the device files, generated files
 * and thousands of mutations of them; and the shapes it must leave to the general path.
 */
const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));
const LIMITS = { maxPoints: 200_000, maxActivities: 20 };

function outcome(bytes: Uint8Array, mode: GpxReadMode): unknown {
  try {
    return parseGpx(decodeXmlPieces(bytes), LIMITS, mode);
  } catch (error) {
    if (!(error instanceof AgentError)) throw error;
    return { error: error.name, code: error.code, message: error.message, details: error.details };
  }
}

/** A point read by the fast path at the start of `xml`; undefined when it leaves it to the general path. */
function fast(xml: string, depthLeft = 10) {
  return readGpxTrackPoint(xml, 0, xml.length, depthLeft, xml.indexOf("&"));
}

const generated = [
  gpx({
    type: "running",
    segments: [track({ start: T0, seconds: 600, speedMps: 3, heartRate: 150, ele: (s) => 100 + s / 10 })],
  }),
  gpx({
    segments: [
      track({ start: T0, seconds: 60, speedMps: 2 }),
      track({ start: T0 + 120_000, seconds: 60, speedMps: 2, heartRate: (s) => 120 + s }),
    ],
  }),
].map(utf8);
const deviceFiles = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => f.endsWith(".gpx"))
      .map((f) => new Uint8Array(readFileSync(FIXTURES + f)))
  : [];

/** What the mutations insert: the constructs the fast path must decline or read exactly as the reader does. */
const TOKENS = [
  "&amp;",
  "&",
  "<!-- c -->",
  "<![CDATA[5]]>",
  "<?pi?>",
  " ",
  "/>",
  "</ele>",
  "<ele>",
  "<hr>",
  "</hr>",
  "<x:hr>",
  '<trkpt lat="1" lon="2">',
  "</trkpt>",
  "<trkseg>",
  "<trk>",
  ' lat="3"',
  " lon='4'",
  '<a b="c"/>',
  "<ext><hr>99</hr></ext>",
  "<time>2020-01-01T00:00:00Z</time>",
  "é",
  "<hr/>",
  "<ele></ele>",
  "<ele> 7 </ele>",
  "<cad>1e2</cad>",
];
const ANCHORS = ["<trkpt", "</trkpt>", "<ele>", "<time>", "hr>", "lat=", "<extensions>", "<trkseg>"];
const CHARACTERS = [..."<>/&\"' =:x9\n-.;!?"];

/** `text` with one change near a track point's construct (most of the time) or anywhere. */
function mutate(text: string, random: () => number): string {
  let at = Math.floor(random() * text.length);
  if (random() < 0.8) {
    const anchor = ANCHORS[Math.floor(random() * ANCHORS.length)] ?? "<trkpt";
    const found = text.indexOf(anchor, at);
    if (found !== -1) at = found + Math.floor(random() * (anchor.length + 3));
  }
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
  switch (Math.floor(random() * 4)) {
    case 0:
      return text.slice(0, at) + pick(CHARACTERS) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
    case 2:
      return text.slice(0, at) + pick(CHARACTERS) + text.slice(at);
    default:
      return text.slice(0, at) + pick(TOKENS) + text.slice(at + Math.floor(random() * 2));
  }
}

describe("the GPX track-point fast path", () => {
  it("gives the general path's activities on every device GPX and generated GPX", () => {
    for (const bytes of [...deviceFiles, ...generated]) {
      expect(outcome(bytes, "auto")).to.deep.equal(outcome(bytes, "general"));
    }
  });

  it("gives the general path's activities, or its error and offset, on 2,000 mutated documents", function () {
    this.timeout(120_000);
    const random = prng(18);
    const sources = [...deviceFiles, ...generated].map((b) => new TextDecoder().decode(b));
    let errors = 0;
    for (let m = 0; m < 2000; m += 1) {
      let text = sources[m % sources.length] ?? "";
      const changes = 1 + Math.floor(random() * 3);
      for (let c = 0; c < changes; c += 1) text = mutate(text, random);
      const bytes = utf8(text);
      const general = outcome(bytes, "general");
      if (!Array.isArray(general)) errors += 1;
      expect(outcome(bytes, "auto"), `mutation ${m}`).to.deep.equal(general);
    }
    // Both outcomes are exercised: documents that still parse and documents the reader refuses.
    expect(errors).to.be.within(200, 1800);
  });

  it("reads a plain point: attributes in either quotes, prefixed fields, empty and self-closing ones", () => {
    const xml =
      '<trkpt lon=\'2.5\' lat="-1.25" x:y="z">\n <ele>7.4</ele><time>2020-01-01T00:00:01Z</time>' +
      "<extensions><g:TrackPointExtension><g:hr>72</g:hr><g:cad/><g:atemp>27</g:atemp>" +
      "</g:TrackPointExtension></extensions><speed></speed><power>200</power></trkpt><next/>";
    const read = fast(xml);
    expect(read?.end).to.equal(xml.indexOf("<next/>"));
    expect(read?.point).to.deep.equal({
      ...newSamplePoint(-1.25, 2.5),
      time: Date.parse("2020-01-01T00:00:01Z"),
      altitudeM: 7.4,
      heartRate: 72,
      powerW: 200,
    });
  });

  it("reads each point's own element names, whatever the point before had at the same place", () => {
    const points = [
      '<trkpt lat="1" lon="2"><ele>1</ele><extensions><hr>60</hr></extensions></trkpt>',
      '<trkpt lat="1" lon="2"><elevation>2</elevation><ele>3</ele><ext><hr>61</hr></ext></trkpt>',
      '<trkpt lat="1" lon="2"><el>4</el><extensions><hrx>62</hrx><cad>80</cad></extensions></trkpt>',
      '<trkpt lat="1" lon="2"><ele>5</ele><extensions><hr>63</hr></extensions></trkpt>',
      '<trkpt lat="1" lon="2"><ele>6</ele><extensions><hr>64</hr></extension></trkpt>',
    ];
    const read = points.map((xml) => fast(xml));
    expect(read.map((r) => r?.point.altitudeM)).to.deep.equal([1, 3, undefined, 5, undefined]);
    expect(read.map((r) => r?.point.heartRate)).to.deep.equal([60, 61, undefined, 63, undefined]);
    expect(read[2]?.point.cadence).to.equal(80);
    expect(read[4]).to.equal(undefined);
  });

  it("leaves every other shape to the general path", () => {
    const declined = [
      '<trkpt lat="1" lon="2"><ele>1&amp;</ele></trkpt>',
      '<trkpt lat="1&amp;" lon="2"></trkpt>',
      '<trkpt lat="1" lon="2"><!-- c --></trkpt>',
      '<trkpt lat="1" lon="2"><ele><![CDATA[5]]></ele></trkpt>',
      '<trkpt lat="1" lon="2"><?pi?></trkpt>',
      '<trkpt lat="1" lon="2"><ele unit="m">5</ele></trkpt>',
      '<trkpt lat="1" lon="2"><ele >5</ele></trkpt>',
      '<trkpt lat="1" lon="2"><ele>5</ele ></trkpt>',
      '<trkpt lat="1" lon="2"></trkpt >',
      '<trkpt lat="1" lat="2"></trkpt>',
      '<trkpt lat = "1"></trkpt>',
      '<trkpt lat="1"lon="2"></trkpt>',
      '<trkpt lat="1" lon="2"/>',
      '<trkpt lat="<"></trkpt>',
      "<trkpt lat=1></trkpt>",
      '<trkpt lat="1" lon="2"><trkpt lat="3" lon="4"></trkpt></trkpt>',
      '<trkpt lat="1" lon="2"><x:trkseg></x:trkseg></trkpt>',
      '<trkpt lat="1" lon="2"><trk/></trkpt>',
      '<trkpt lat="1" lon="2"><hr>7<b/></hr></trkpt>',
      '<trkpt lat="1" lon="2"><a><b></a></b></trkpt>',
      '<trkpt lat="1" lon="2"><é>1</é></trkpt>',
      '<trkpt lat="1" lon="2"><1a/></trkpt>',
      '<trkpt lat="1" lon="2"><ele>5</ele>',
      '<trkpt lat="1" lon="2"><ele>5</ele></trkpt',
      '<trkpts lat="1"></trkpts>',
      '<x:trkpt lat="1"></x:trkpt>',
    ];
    for (const xml of declined) expect(fast(xml), xml).to.equal(undefined);
  });

  it("leaves to the general path a point nested as deep as the reader's limit allows, and no deeper", () => {
    const xml = '<trkpt lat="1" lon="2"><a><b><hr>1</hr></b></a></trkpt>';
    expect(fast(xml, 4)).to.not.equal(undefined);
    expect(fast(xml, 3)).to.equal(undefined);
    expect(fast("<trkpt></trkpt>", 1)).to.not.equal(undefined);
    expect(fast("<trkpt></trkpt>", 0)).to.equal(undefined);
  });

  it("refuses nesting past the reader's limit with the general path's error", () => {
    const deep = (levels: number) =>
      `<gpx><trk><trkseg><trkpt lat="1" lon="2"><time>2020-01-01T00:00:00Z</time>${"<a>".repeat(levels)}${"</a>".repeat(levels)}</trkpt></trkseg></trk></gpx>`;
    for (const levels of [59, 60, 61]) {
      const bytes = utf8(deep(levels));
      expect(outcome(bytes, "auto"), `${levels}`).to.deep.equal(outcome(bytes, "general"));
    }
  });
});

describe("the GPX fast path keeps nothing of a document after its parse", () => {
  // A name cut from a document's text may keep the whole text alive (V8 makes slices of 13+ characters views
  // of their parent), so the names the fast path remembers between points are forgotten after each document.
  it("forgets the element names it remembered, after a document it read and after one it refused", () => {
    const hour = track({ start: T0, seconds: 600, speedMps: 3, heartRate: () => 150 });
    const good = utf8(gpx({ type: "running", segments: [hour] }));
    expect(outcome(good, "auto")).to.not.have.property("error");
    expect(rememberedGpxTrackPointNames()).to.deep.equal([]);
    const broken = utf8(
      `<?xml version="1.0"?><gpx version="1.1" creator="t"><trk><trkseg><trkpt lat="1" lon="2"><time>2026-11-23T07:00:00Z</time><longelementname13>1</longelementname13></trkpt><trkpt lat="1" lon="2"><time>x</trkseg></trk></gpx>`,
    );
    outcome(broken, "auto");
    expect(rememberedGpxTrackPointNames()).to.deep.equal([]);
  });
});

describe("parseNumberAt", () => {
  it("reads text in place exactly as parseNumberText reads the copy", () => {
    const random = prng(7);
    const samples = [
      "",
      " ",
      "-",
      "0",
      "-0",
      "007",
      "1.",
      ".5",
      "-.5",
      "1e3",
      "0x1F",
      " 7.4 ",
      "Infinity",
      "NaN",
      "1.2.3",
      "--1",
      "+1",
      "123456789012345",
      "1234567890123456",
      "0.000000000000001",
      "9007199254740993",
      "9007199254740992",
      "9007199254740991",
      "900719925474099.3",
      "0.9007199254740993",
      "0.9007199254740991",
      "1.0000000000000000000001",
      "1.00000000000000000000001",
      "0.0000000000000000000001",
      "60.27223587036133",
      "24.973012924194336",
      "-155.9954880",
      "19.6383110",
    ];
    for (let i = 0; i < 20_000; i += 1) {
      const digits = 1 + Math.floor(random() * 26);
      let s = "";
      for (let d = 0; d < digits; d += 1) s += String(Math.floor(random() * 10));
      const dot = Math.floor(random() * (digits + 2));
      if (dot > 0 && dot < digits) s = `${s.slice(0, dot)}.${s.slice(dot)}`;
      samples.push(random() < 0.3 ? `-${s}` : s);
    }
    for (const s of samples) {
      const text = `<x>${s}</x>`;
      const value = parseNumberAt(text, 3, 3 + s.length);
      expect(Object.is(value, parseNumberText(s)), s).to.equal(true);
    }
  });
});
