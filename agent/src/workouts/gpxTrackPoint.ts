import { newSamplePoint, type SamplePoint } from "./sampleSummary.ts";
import { parseNumberAt, type SampleField, setSampleFieldAt } from "./trackXml.ts";

/**
 * The GPX track-point fast path: a whole `<trkpt>` element read in one loop, without the reader's open / close /
 * text events (a 33 KB Strava swim spent more time in those, the element path and the capture of text than in
 * reading the XML). It takes only elements of the plain shape nearly every exporter writes and leaves every
 * other one to the general path (xmlReader.ts, parseGpx.ts), which then reads it from its '<' as before:
 * - `<trkpt` with attributes written `name="value"` (or single quotes), separated by whitespace, without '&' or
 *   '<' in a value and without a duplicate name;
 * - below it, elements without attributes (`<name>`, `<name/>`), names of ASCII letters, digits and `_.:-`,
 *   ended by exactly `</name>`; an element holding a sample field (POINT_FIELDS) holds text only;
 * - no comment, CDATA, processing instruction or '&' anywhere in it, no `trk` / `trkseg` / `trkpt` below it,
 *   nesting within the reader's limit, and the whole element within the text at hand.
 * Such an element is well-formed to the general reader, and what the general path does with it is what this
 * does: a point from `lat` / `lon`, each sample field set from its element's text in document order (the last
 * one wins; an empty one clears it), nothing else. `gpxTrackPoint.test.ts` compares both paths.
 */

/** Elements of a <trkpt> whose text is read, and the sample field each fills. */
export const POINT_FIELDS: ReadonlyMap<string, SampleField> = new Map<string, SampleField>([
  ["ele", "altitudeM"],
  ["time", "time"],
  ["hr", "heartRate"],
  ["heartrate", "heartRate"],
  ["speed", "speedMps"],
  ["cad", "cadence"],
  ["cadence", "cadence"],
  ["power", "powerW"],
  ["watts", "powerW"],
]);

/** Local names the fast path never takes below a point: they mean something to the general path's handlers. */
const TRACK_NAMES = ["trk", "trkseg", "trkpt"];

/** By local-name length: the names the fast path knows, each with its field (null: not taken). */
const NAMES_BY_LENGTH: [string, SampleField | null][][] = [];
for (const [name, field] of [...POINT_FIELDS, ...TRACK_NAMES.map((n) => [n, null] as const)]) {
  const list = NAMES_BY_LENGTH[name.length] ?? [];
  list.push([name, field]);
  NAMES_BY_LENGTH[name.length] = list;
}

/** 1 for the ASCII characters the fast path accepts in a name; 2 for those that may also start one. */
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME_CHAR[c] = 2;
  else if (/[0-9.-]/.test(ch)) NAME_CHAR[c] = 1;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** The end of the name at `from`; `from` itself when no name starts there. */
function nameEndAt(text: string, from: number, end: number): number {
  if (from >= end || !(text.charCodeAt(from) < 128 && NAME_CHAR[text.charCodeAt(from)] === 2)) return from;
  let k = from + 1;
  while (k < end) {
    const code = text.charCodeAt(k);
    if (code >= 128 || NAME_CHAR[code] === 0) break;
    k += 1;
  }
  return k;
}

/**
 * The field of the element named text[from, to) by its local name (after the first ':', as xmlReader.ts
 * reports it): a SampleField, undefined for any other element, null for one the fast path does not take.
 */
function fieldOf(text: string, from: number, to: number): SampleField | undefined | null {
  const colon = text.indexOf(":", from);
  const local = colon !== -1 && colon < to ? colon + 1 : from;
  const candidates = NAMES_BY_LENGTH[to - local];
  if (candidates === undefined) return undefined;
  for (const [name, field] of candidates) if (text.startsWith(name, local)) return field;
  return undefined;
}

/** Whether the `length` characters at `a` and at `b` are the same. */
function sameText(text: string, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k += 1) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/** Whether text[at] starts `</` + text[from, to) + `>`. */
function endTagAt(text: string, at: number, from: number, to: number): boolean {
  if (text.charCodeAt(at + 1) !== 0x2f || text.charCodeAt(at + 2 + to - from) !== 0x3e) return false;
  return sameText(text, at + 2, from, to - from);
}

/** Where each open element below the point starts and ends its name, by level (reused: no reentry). */
const openFrom: number[] = [];
const openTo: number[] = [];

/**
 * The `<trkpt>` at `start`: its attributes into a new point; the index after its start tag, or -1 when it is
 * not of the plain shape.
 */
function readStartTag(text: string, start: number, end: number, out: { point: SamplePoint }): number {
  let k = start + 6;
  let lat: number | undefined;
  let lon: number | undefined;
  let attributes = 0;
  for (;;) {
    const code = text.charCodeAt(k);
    if (code === 0x3e /* > */) break;
    if (!isSpace(code)) return -1;
    while (k < end && isSpace(text.charCodeAt(k))) k += 1;
    if (text.charCodeAt(k) === 0x3e) break;
    const nameStart = k;
    k = nameEndAt(text, k, end);
    if (k === nameStart || text.charCodeAt(k) !== 0x3d /* = */) return -1;
    const quote = text.charCodeAt(k + 1);
    if (quote !== 0x22 && quote !== 0x27) return -1;
    const valueEnd = text.indexOf(quote === 0x22 ? '"' : "'", k + 2);
    if (valueEnd === -1 || valueEnd >= end) return -1;
    for (let v = k + 2; v < valueEnd; v += 1) {
      const c = text.charCodeAt(v);
      if (c === 0x3c /* < */ || c === 0x26 /* & */) return -1;
    }
    // A duplicate name is the general reader's error to report.
    for (let a = 0; a < attributes; a += 1) {
      const from = openFrom[a] ?? 0;
      if ((openTo[a] ?? 0) - from === k - nameStart && sameText(text, from, nameStart, k - nameStart))
        return -1;
    }
    openFrom[attributes] = nameStart;
    openTo[attributes] = k;
    attributes += 1;
    if (k - nameStart === 3 && text.startsWith("lat", nameStart)) lat = parseNumberAt(text, k + 2, valueEnd);
    else if (k - nameStart === 3 && text.startsWith("lon", nameStart))
      lon = parseNumberAt(text, k + 2, valueEnd);
    k = valueEnd + 1;
  }
  out.point = newSamplePoint(lat, lon);
  return k + 1;
}

export type ReadGpxTrackPointParameters = Parameters<typeof readGpxTrackPoint>;

/**
 * Reads the `<trkpt>` element at `start` (its '<') of the plain shape above, within `text` before `end`, nested
 * at most `depthLeft` levels deep (itself one), with no '&' from `nextAmp` on inside it: its point, and the index
 * after its end tag; undefined (nothing done) for any other element.
 */
export function readGpxTrackPoint(
  text: string,
  start: number,
  end: number,
  depthLeft: number,
  nextAmp: number,
): { point: SamplePoint; end: number } | undefined {
  if (depthLeft < 1 || !text.startsWith("<trkpt", start)) return undefined;
  const out = { point: newSamplePoint() };
  let k = readStartTag(text, start, end, out);
  if (k === -1) return undefined;
  const point = out.point;
  /** Open elements below the point. */
  let depth = 0;
  for (;;) {
    const lt = text.indexOf("<", k);
    if (lt === -1 || lt >= end) return undefined;
    if (text.charCodeAt(lt + 1) === 0x2f /* / */) {
      if (depth === 0) {
        if (!text.startsWith("</trkpt>", lt)) return undefined;
        k = lt + 8;
        break;
      }
      if (!endTagAt(text, lt, openFrom[depth - 1] ?? 0, openTo[depth - 1] ?? 0)) return undefined;
      depth -= 1;
      k = lt + 3 + (openTo[depth] ?? 0) - (openFrom[depth] ?? 0);
      continue;
    }
    const nameEnd = nameEndAt(text, lt + 1, end);
    if (nameEnd === lt + 1 || depth + 1 >= depthLeft) return undefined;
    const after = text.charCodeAt(nameEnd);
    const selfClosing = after === 0x2f && text.charCodeAt(nameEnd + 1) === 0x3e;
    if (after !== 0x3e && !selfClosing) return undefined;
    const field = fieldOf(text, lt + 1, nameEnd);
    if (field === null) return undefined;
    if (selfClosing) {
      if (field !== undefined) setSampleFieldAt(point, field, "", 0, 0);
      k = nameEnd + 2;
    } else if (field !== undefined) {
      // A field's element holds text only, up to its own end tag.
      const close = text.indexOf("<", nameEnd + 1);
      if (close === -1 || close >= end || !endTagAt(text, close, lt + 1, nameEnd)) return undefined;
      setSampleFieldAt(point, field, text, nameEnd + 1, close);
      k = close + 3 + nameEnd - (lt + 1);
    } else {
      openFrom[depth] = lt + 1;
      openTo[depth] = nameEnd;
      depth += 1;
      k = nameEnd + 1;
    }
  }
  if (nextAmp !== -1 && nextAmp < k) return undefined;
  return { point, end: k };
}
