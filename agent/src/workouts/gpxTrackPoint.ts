import { parseIsoTime } from "./isoTime.ts";
import { newSamplePoint, type SamplePoint } from "./sampleSummary.ts";
import { parseNumberAt, type SampleField } from "./trackXml.ts";

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

/**
 * Where the fast path keeps each field's value while it reads a point (a value slot; NaN: none): one store site
 * for every field, so a field no earlier file had (the first cadence) meets optimised code that already knows
 * the store (a store it had never seen would deoptimise it).
 */
const SLOT_OF_FIELD: Readonly<Record<SampleField, number>> = {
  time: 0,
  altitudeM: 1,
  distanceM: 2,
  speedMps: 3,
  heartRate: 4,
  powerW: 5,
  cadence: 6,
};
const SLOTS = 7;
/** An element whose text nobody reads. */
const OTHER = -1;
/** An element the fast path does not take. */
const NOT_TAKEN = -2;

/**
 * The names the fast path knows, by a key of the local name (its length, first and last character): one
 * candidate per key, no loop over candidates (a loop's later turns, first taken by a later file, deoptimise the
 * code as a new field store would). The keys of the known names differ, checked here.
 */
const NAME_KEYS = 64;
function nameKey(text: string, from: number, to: number): number {
  return (to - from + text.charCodeAt(from) + 2 * text.charCodeAt(to - 1)) & (NAME_KEYS - 1);
}
const KEYED_NAMES: string[] = new Array<string>(NAME_KEYS).fill("");
const KEYED_SLOTS = new Int8Array(NAME_KEYS);
for (const [name, slot] of [
  ...[...POINT_FIELDS].map(([n, field]) => [n, SLOT_OF_FIELD[field]] as const),
  ...TRACK_NAMES.map((n) => [n, NOT_TAKEN] as const),
]) {
  const key = nameKey(name, 0, name.length);
  if (KEYED_NAMES[key] !== "")
    throw new Error(`gpxTrackPoint: <${name}> and <${KEYED_NAMES[key]}> share a key`);
  KEYED_NAMES[key] = name;
  KEYED_SLOTS[key] = slot;
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
 * The value slot of the element named text[from, to) by its local name (after the first ':', as xmlReader.ts
 * reports it): a field's slot, OTHER for any other element, NOT_TAKEN for one the fast path leaves alone.
 */
function slotOf(text: string, from: number, to: number): number {
  let local = from;
  for (let k = from; k < to; k += 1) {
    if (text.charCodeAt(k) === 0x3a /* : */) {
      local = k + 1;
      break;
    }
  }
  if (local === to) return OTHER;
  const key = nameKey(text, local, to);
  const name = KEYED_NAMES[key] as string;
  return name.length === to - local && text.startsWith(name, local) ? (KEYED_SLOTS[key] as number) : OTHER;
}

/** Whether the `length` characters at `a` and at `b` are the same. */
function sameText(text: string, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k += 1) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/** Whether text[at] starts `</` + name + `>`. */
function endTagAt(text: string, at: number, name: string): boolean {
  return (
    text.charCodeAt(at + 1) === 0x2f &&
    text.charCodeAt(at + 2 + name.length) === 0x3e &&
    text.startsWith(name, at + 2)
  );
}

/**
 * Where each attribute name of the point's tag starts and ends, and the name of each open element below it, by
 * level (reused: no reentry). Fixed in size, so no store grows them (a growing store the optimised code had not
 * seen deoptimises it): an element nested deeper, or a tag with more attributes, is left to the general path.
 */
const SCRATCH = 256;
const attributeFrom = new Int32Array(SCRATCH);
const attributeTo = new Int32Array(SCRATCH);
const openNames: string[] = new Array<string>(SCRATCH).fill("");

/**
 * The names of the elements of the last point read, by order of appearance, with their slots: the n-th element
 * of a point nearly always has the name of the n-th element of the one before, so it is compared in place (no
 * scan of its characters, no copy).
 */
const NAME_CACHE = 32;
const cachedNames: string[] = new Array<string>(NAME_CACHE).fill("");
const cachedSlots = new Int8Array(NAME_CACHE);
/** What readName found: the name and its slot. */
let foundName = "";
let foundSlot = OTHER;

/**
 * Forgets the names kept between points (call after each document): a name cut from a document's text may keep
 * the whole text alive (V8 makes slices of 13 or more characters views of their parent, and a construct that
 * crosses a piece makes the parent the rest of the document), so nothing of one upload may outlive its parse.
 */
/** The names kept between points now (for tests: empty after every document). */
export function rememberedGpxTrackPointNames(): string[] {
  return [...cachedNames, ...openNames, foundName].filter((name) => name !== "");
}

export function forgetGpxTrackPointNames(): void {
  cachedNames.fill("");
  cachedSlots.fill(0);
  openNames.fill("");
  foundName = "";
  foundSlot = OTHER;
}

/**
 * The name of the `child`-th element of the point, at `at` (after its '<'): the index after it (`at` when no
 * name of the accepted characters starts there), its name and slot in foundName / foundSlot. A cached name
 * followed by '>' or '/' is that name: it was read in full once, and those characters end a name.
 */
function readName(text: string, at: number, end: number, child: number): number {
  if (child < NAME_CACHE) {
    const cached = cachedNames[child] as string;
    const after = at + cached.length;
    const next = text.charCodeAt(after);
    if (cached !== "" && (next === 0x3e || next === 0x2f) && text.startsWith(cached, at)) {
      foundName = cached;
      foundSlot = cachedSlots[child] as number;
      return after;
    }
  }
  const nameEnd = nameEndAt(text, at, end);
  if (nameEnd === at) return at;
  foundName = text.slice(at, nameEnd);
  foundSlot = slotOf(text, at, nameEnd);
  if (child < NAME_CACHE) {
    cachedNames[child] = foundName;
    cachedSlots[child] = foundSlot;
  }
  return nameEnd;
}

/** A value slot's number; NaN (no value, or none read) is undefined, as parsers give no NaN. */
function slotNumber(value: number | undefined): number | undefined {
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

/** The point's `lat` and `lon`, then its fields' values, by slot (NaN: none), while it is read. */
const coordinates = new Float64Array(2);
const values = new Float64Array(SLOTS);

/**
 * The `<trkpt>` at `start`: its `lat` and `lon` into `coordinates`; the index after its start tag, or -1 when it
 * is not of the plain shape.
 */
function readStartTag(text: string, start: number, end: number): number {
  let k = start + 6;
  coordinates[0] = Number.NaN;
  coordinates[1] = Number.NaN;
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
    // No '<' in the value ('&' anywhere in the point is readGpxTrackPoint's check).
    const lt = text.indexOf("<", k + 2);
    if (lt !== -1 && lt < valueEnd) return -1;
    // A duplicate name is the general reader's error to report.
    if (attributes === SCRATCH) return -1;
    for (let a = 0; a < attributes; a += 1) {
      const from = attributeFrom[a] ?? 0;
      if ((attributeTo[a] ?? 0) - from === k - nameStart && sameText(text, from, nameStart, k - nameStart))
        return -1;
    }
    attributeFrom[attributes] = nameStart;
    attributeTo[attributes] = k;
    attributes += 1;
    // 0 for lat, 1 for lon, -1 for any other attribute: one store site for both.
    const coordinate =
      k - nameStart !== 3 || text.charCodeAt(nameStart) !== 0x6c /* l */
        ? -1
        : text.startsWith("at", nameStart + 1)
          ? 0
          : text.startsWith("on", nameStart + 1)
            ? 1
            : -1;
    if (coordinate !== -1) coordinates[coordinate] = parseNumberAt(text, k + 2, valueEnd) ?? Number.NaN;
    k = valueEnd + 1;
  }
  return k + 1;
}

/** The value of a field's text: its time (slot 0) or its number; NaN for none. */
function slotValue(slot: number, text: string, from: number, to: number): number {
  const value = slot === 0 ? parseIsoTime(text.slice(from, to)) : parseNumberAt(text, from, to);
  return value ?? Number.NaN;
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
  let k = readStartTag(text, start, end);
  if (k === -1) return undefined;
  for (let slot = 0; slot < SLOTS; slot += 1) values[slot] = Number.NaN;
  /** Open elements below the point, and elements met so far. */
  let depth = 0;
  let child = 0;
  for (;;) {
    const lt = text.indexOf("<", k);
    if (lt === -1 || lt >= end) return undefined;
    if (text.charCodeAt(lt + 1) === 0x2f /* / */) {
      if (depth === 0) {
        if (!text.startsWith("</trkpt>", lt)) return undefined;
        k = lt + 8;
        break;
      }
      const open = openNames[depth - 1] as string;
      if (!endTagAt(text, lt, open)) return undefined;
      depth -= 1;
      k = lt + 3 + open.length;
      continue;
    }
    const nameEnd = readName(text, lt + 1, end, child);
    child += 1;
    if (nameEnd === lt + 1 || depth + 1 >= depthLeft || depth === SCRATCH) return undefined;
    const name = foundName;
    const slot = foundSlot;
    const after = text.charCodeAt(nameEnd);
    const selfClosing = after === 0x2f && text.charCodeAt(nameEnd + 1) === 0x3e;
    if ((after !== 0x3e && !selfClosing) || slot === NOT_TAKEN) return undefined;
    if (selfClosing) {
      // An empty field's element clears the field, as its empty text does on the general path.
      if (slot !== OTHER) values[slot] = slotValue(slot, "", 0, 0);
      k = nameEnd + 2;
    } else if (slot !== OTHER) {
      // A field's element holds text only, up to its own end tag.
      const close = text.indexOf("<", nameEnd + 1);
      if (close === -1 || close >= end || !endTagAt(text, close, name)) return undefined;
      values[slot] = slotValue(slot, text, nameEnd + 1, close);
      k = close + 3 + name.length;
    } else {
      openNames[depth] = name;
      depth += 1;
      k = nameEnd + 1;
    }
  }
  if (nextAmp !== -1 && nextAmp < k) return undefined;
  // Every field stored on every point: no store here is first met by a later file.
  const point = newSamplePoint(slotNumber(coordinates[0]), slotNumber(coordinates[1]));
  point.time = slotNumber(values[SLOT_OF_FIELD.time]);
  point.altitudeM = slotNumber(values[SLOT_OF_FIELD.altitudeM]);
  point.distanceM = slotNumber(values[SLOT_OF_FIELD.distanceM]);
  point.speedMps = slotNumber(values[SLOT_OF_FIELD.speedMps]);
  point.heartRate = slotNumber(values[SLOT_OF_FIELD.heartRate]);
  point.powerW = slotNumber(values[SLOT_OF_FIELD.powerW]);
  point.cadence = slotNumber(values[SLOT_OF_FIELD.cadence]);
  return { point, end: k };
}
