import { DOMParser } from "@xmldom/xmldom";
import { expect } from "chai";
import { ValidationError } from "../../src/errors.ts";
import { readXml, type XmlText } from "../../src/workouts/xmlReader.ts";
import { gpx, prng, T0, tcx, track } from "./fixtures.ts";

type Event = ["open", string, Record<string, string>] | ["close", string] | ["text", string];

function events(text: XmlText, maxDepth?: number): Event[] {
  const out: Event[] = [];
  readXml(
    text,
    {
      open: (name, attributes) => out.push(["open", name, { ...attributes }]),
      close: (name) => out.push(["close", name]),
      text: (value) => out.push(["text", value]),
    },
    maxDepth !== undefined ? { maxDepth } : {},
  );
  return out;
}

function rejects(text: string): string {
  try {
    events(text);
  } catch (error) {
    expect(error).to.be.instanceOf(ValidationError);
    expect((error as ValidationError).code).to.equal("corrupt_file");
    return String((error as ValidationError).details.reason);
  }
  return expect.fail(`accepted: ${text}`);
}

/** Does @xmldom/xmldom (stopping at its first error) accept the document? */
function xmldomAccepts(text: string): boolean {
  try {
    new DOMParser({
      onError: (level, message) => {
        if (level !== "warning") throw new Error(message);
      },
    }).parseFromString(text, "text/xml");
    return true;
  } catch {
    return false;
  }
}

describe("readXml", () => {
  it("reports elements by local name, attributes, and text with entities and CDATA decoded", () => {
    const result = events(
      `<?xml version="1.0"?><!-- c --><a:root xmlns:a="u" k="1 &amp; 2"><b>x &lt; y &#65;&#x42;</b><c/><d><![CDATA[<raw>&]]></d></a:root>`,
    );
    expect(result).to.deep.equal([
      ["open", "root", { "xmlns:a": "u", k: "1 & 2" }],
      ["open", "b", {}],
      ["text", "x < y AB"],
      ["close", "b"],
      ["open", "c", {}],
      ["close", "c"],
      ["open", "d", {}],
      ["text", "<raw>&"],
      ["close", "d"],
      ["close", "root"],
    ]);
  });

  it("accepts '>' inside attribute values and single quotes", () => {
    expect(events(`<r a='x>y' b="'"/>`)).to.deep.equal([
      ["open", "r", { a: "x>y", b: "'" }],
      ["close", "r"],
    ]);
  });

  it("keeps an attribute named __proto__ as a plain attribute", () => {
    const [first] = events(`<r __proto__="x"/>`);
    expect(first?.[0]).to.equal("open");
    const attributes = first?.[2] as Record<string, string>;
    expect(Object.keys(attributes)).to.deep.equal(["__proto__"]);
  });

  it("refuses any DOCTYPE or entity declaration (billion laughs, external entities)", () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><gpx>&lol2;</gpx>`;
    expect(rejects(bomb)).to.match(/DOCTYPE/);
    const external = `<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><gpx>&xxe;</gpx>`;
    expect(rejects(external)).to.match(/DOCTYPE/);
  });

  it("refuses references to undefined entities and malformed character references", () => {
    expect(rejects("<gpx>&lol;</gpx>")).to.match(/undefined entity/);
    expect(rejects("<gpx>&#0;</gpx>")).to.match(/forbids/);
    expect(rejects("<gpx>&#xZZ;</gpx>")).to.match(/malformed character reference/);
    expect(rejects("<gpx>a & b</gpx>")).to.match(/entity/);
  });

  it("checks the entities of text nobody wants (wantsText false) as strictly, and copies none of it", () => {
    const skipping = (text: string) => {
      const texts: string[] = [];
      readXml(text, {
        open: () => {},
        close: () => {},
        text: (value) => texts.push(value),
        wantsText: () => false,
      });
      return texts;
    };
    expect(skipping("<gpx><a>x &amp; y</a>\n <b>&#x41;</b></gpx>")).to.deep.equal([]);
    for (const text of [
      "<gpx><a>&lol;</a></gpx>",
      "<gpx>  <a>ok</a> a & b</gpx>",
      "<gpx><a>&#0;</a></gpx>",
    ]) {
      expect(() => skipping(text), text).to.throw(ValidationError);
    }
  });

  it("refuses documents that are not well-formed", () => {
    expect(rejects("<a><b></a></b>")).to.match(/closes/);
    expect(rejects("<a></a><b></b>")).to.match(/second root/);
    expect(rejects("text<a/>")).to.match(/outside the root/);
    expect(rejects("<a>")).to.match(/never closed/);
    expect(rejects("</a>")).to.match(/without a start tag/);
    expect(rejects("<a b=c/>")).to.match(/unquoted/);
    expect(rejects('<a b="1" b="2"/>')).to.match(/duplicate attribute/);
    expect(rejects('<a b="1"c="2"/>')).to.match(/not separated/);
    expect(rejects('<a b="<"/>')).to.match(/'<' in the value/);
    expect(rejects("<a><!-- open")).to.match(/unterminated comment/);
    expect(rejects("")).to.match(/no root element/);
    expect(rejects("<a>< b</a>")).to.match(/starts no tag/);
  });

  it("matches end tags exactly, with or without space before '>'", () => {
    expect(events("<a:b><c></c ></a:b>")).to.deep.equal([
      ["open", "b", {}],
      ["open", "c", {}],
      ["close", "c"],
      ["close", "b"],
    ]);
    expect(rejects("<ab></a>")).to.match(/<\/a> closes <ab>/);
    expect(rejects("<a></ab>")).to.match(/<\/ab> closes <a>/);
    expect(rejects("<a></a")).to.match(/malformed end tag/);
    expect(rejects("<a></a/>")).to.match(/malformed end tag/);
    expect(rejects("<a:b></b>")).to.match(/<\/b> closes <a:b>/);
  });

  it("refuses nesting deeper than the limit", () => {
    const deep = `${"<a>".repeat(70)}${"</a>".repeat(70)}`;
    expect(rejects(deep)).to.match(/nested deeper than 64/);
    expect(events(`${"<a>".repeat(5)}${"</a>".repeat(5)}`, 5)).to.have.length(10);
  });

  it("agrees with @xmldom/xmldom on which documents are well-formed", () => {
    const documents = [
      `<gpx><trk><trkseg><trkpt lat="1" lon="2"><time>2020-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>`,
      `<?xml version="1.0"?>\n<!-- x --><TrainingCenterDatabase a="&quot;"><Id>1</Id></TrainingCenterDatabase>`,
      "<a><b></a>",
      "<a></a><b/>",
      '<a x="1" x="2"/>',
      "<a>&undefined;</a>",
      "<a><![CDATA[x]]></a>",
    ];
    for (const document of documents) {
      let ours = true;
      try {
        events(document);
      } catch {
        ours = false;
      }
      expect(ours, document).to.equal(xmldomAccepts(document));
    }
    // Where xmldom only warns (unquoted attribute values), this reader is stricter.
    expect(xmldomAccepts("<a b=c/>")).to.equal(true);
    expect(rejects("<a b=c/>")).to.match(/unquoted/);
  });

  it("reads a document in pieces (each cut before a '<') exactly as the whole string: events, errors, offsets", () => {
    const random = prng(20261205);
    /** The events, or the error's reason and offset. */
    const outcome = (text: XmlText) => {
      try {
        return events(text);
      } catch (error) {
        expect(error).to.be.instanceOf(ValidationError);
        return (error as ValidationError).details;
      }
    };
    /** `text` cut before some of its '<' (each with probability `share`). */
    const cut = (text: string, share: number): string[] => {
      const pieces: string[] = [];
      let from = 0;
      for (let lt = text.indexOf("<", 1); lt !== -1; lt = text.indexOf("<", lt + 1)) {
        if (random() < share) {
          pieces.push(text.slice(from, lt));
          from = lt;
        }
      }
      pieces.push(text.slice(from));
      return pieces;
    };
    const points = track({ start: T0, seconds: 20, speedMps: 3, heartRate: () => 150 });
    const documents = [
      gpx({ type: "running", segments: [points] }),
      tcx([{ sport: "Running", laps: [{ start: T0, totalTimeSec: 20, points }] }]),
      `<?xml version="1.0"?>\n<!-- a <comment> --><a x='1>2'><![CDATA[<raw> & ]]><?pi <x> ?><b>&amp;&#65;</b>t</a>\n`,
    ];
    // Comments, CDATA and processing instructions holding '<', truncations and stray characters: constructs
    // that run past the end of a piece.
    const noise = [
      "<",
      "<!--",
      "-->",
      "]]>",
      "<![CDATA[",
      "<?",
      "?>",
      '"',
      "'",
      "&",
      "&amp;",
      "/",
      ">",
      " ",
      "x",
    ];
    let compared = 0;
    let failed = 0;
    for (const document of documents) {
      for (let m = 0; m < 400; m += 1) {
        let text = document;
        if (m > 0) {
          for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits -= 1) {
            const at = Math.floor(random() * text.length);
            const kind = random();
            if (kind < 0.4)
              text = text.slice(0, at) + (noise[Math.floor(random() * noise.length)] ?? "") + text.slice(at);
            else if (kind < 0.8) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 8));
            else text = text.slice(0, at);
          }
        }
        const whole = outcome(text);
        if (!Array.isArray(whole)) failed += 1;
        for (const share of [1, 0.5, 0.1]) {
          expect(outcome(cut(text, share)), text).to.deep.equal(whole);
          compared += 1;
        }
      }
    }
    // Both kinds of outcome are exercised.
    expect(failed).to.be.greaterThan(200);
    expect(compared - 3 * failed).to.be.greaterThan(30);
  });

  it("refuses pieces that do not start with '<' after the first (a caller's bug, not a document's)", () => {
    expect(() => events(["<a>", "x</a>"])).to.throw(TypeError, /piece 1/);
    expect(events(["  ", "<a>x", "</a>"])).to.deep.equal([
      ["open", "a", {}],
      ["text", "x"],
      ["close", "a"],
    ]);
  });
});
