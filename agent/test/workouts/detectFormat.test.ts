import { expect } from "chai";
import { UnsupportedError } from "../../src/errors.ts";
import { detectFormat, isFitHeader } from "../../src/workouts/detectFormat.ts";
import { oneHourRunFit, utf8 } from "./fixtures.ts";

function fitHeader(size: 12 | 14): Uint8Array {
  const bytes = new Uint8Array(size + 2);
  bytes[0] = size;
  bytes.set([0x2e, 0x46, 0x49, 0x54], 8);
  return bytes;
}

function expectUnsupported(bytes: Uint8Array): void {
  try {
    detectFormat(bytes);
  } catch (error) {
    expect(error).to.be.instanceOf(UnsupportedError);
    expect((error as UnsupportedError).code).to.equal("unsupported_format");
    return;
  }
  expect.fail("detectFormat accepted the input");
}

describe("detectFormat", () => {
  it("recognises FIT headers of 12 and 14 bytes by size byte and '.FIT' signature", () => {
    expect(detectFormat(fitHeader(12))).to.equal("fit");
    expect(detectFormat(fitHeader(14))).to.equal("fit");
    expect(detectFormat(oneHourRunFit())).to.equal("fit");
  });

  it("rejects a FIT-like header with the wrong size byte or signature", () => {
    const wrongSize = fitHeader(14);
    wrongSize[0] = 13;
    expect(isFitHeader(wrongSize)).to.equal(false);
    expectUnsupported(wrongSize);
    const wrongSignature = fitHeader(14);
    wrongSignature[9] = 0x66; // ".fIT"
    expectUnsupported(wrongSignature);
  });

  it("recognises GPX and TCX by their root element, not their name", () => {
    expect(detectFormat(utf8('<?xml version="1.0"?><gpx version="1.1"></gpx>'))).to.equal("gpx");
    expect(detectFormat(utf8("<TrainingCenterDatabase></TrainingCenterDatabase>"))).to.equal("tcx");
    expect(detectFormat(utf8('<g:gpx xmlns:g="http://www.topografix.com/GPX/1/1"/>'))).to.equal("gpx");
  });

  it("tolerates a UTF-8 BOM, leading whitespace, comments and processing instructions before the root", () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('<?xml version="1.0"?>\n<gpx/>')]);
    expect(detectFormat(withBom)).to.equal("gpx");
    expect(detectFormat(utf8('          <?xml version="1.0"?><TrainingCenterDatabase/>'))).to.equal("tcx");
    expect(detectFormat(utf8("<!-- exported --><?pi x?>\r\n\t<gpx></gpx>"))).to.equal("gpx");
  });

  it("names the root from a DOCTYPE (the parsers then refuse the DOCTYPE)", () => {
    expect(detectFormat(utf8('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "b">]><gpx/>'))).to.equal("gpx");
  });

  it("rejects other XML, JSON, text, random bytes and empty input as unsupported_format", () => {
    expectUnsupported(utf8('<?xml version="1.0"?><kml></kml>'));
    expectUnsupported(utf8('{"type":"FeatureCollection"}'));
    expectUnsupported(utf8("lat,lon,time\n1,2,3\n"));
    expectUnsupported(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])); // a ZIP
    expectUnsupported(new Uint8Array(0));
    expectUnsupported(utf8("   \n  "));
  });
});
