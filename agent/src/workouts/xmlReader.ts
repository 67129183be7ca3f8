import { ValidationError } from "../errors.ts";

/**
 * A small, strict, streaming XML reader for GPX and TCX. Why not a DOM (@xmldom/xmldom)? A DOM of a 100,000-point
 * GPX took 8.5 s and ~870 MB here; this reader walks the text once with `indexOf`, builds no tree and keeps only
 * the open-element stack, so memory is bounded by the input string and time is linear.
 *
 * It is deliberately less permissive than XML allows where that is safe to be:
 * - no DOCTYPE and no other markup declaration (`<!DOCTYPE`, `<!ENTITY`, ...): no entity expansion (XML bombs) and
 *   no external entities can ever happen;
 * - only the five predefined entities and numeric character references are decoded; any other `&name;` fails;
 * - well-formedness is checked where it matters: matching end tags, one root element, nothing but whitespace,
 *   comments and processing instructions outside it, quoted attribute values without `<`, no duplicate
 *   attributes, a nesting limit.
 * Element names are reported without their namespace prefix (`gpxtpx:hr` → `hr`): GPX and TCX files in the wild
 * mix prefixes freely, and the readers match local names only.
 * Any failure throws ValidationError `corrupt_file` with the offset.
 */

export interface XmlHandler {
  /** A start tag (also called for self-closing tags, followed by `close`). */
  open(name: string, attributes: Readonly<Record<string, string>>): void;
  close(name: string): void;
  /** Character data (entities decoded, CDATA included), possibly in several chunks. */
  text(value: string): void;
  /**
   * Whether `text` is wanted at this point (default: always). Text nobody wants is not copied; its entity
   * references are still checked, so what is well-formed does not depend on it.
   */
  wantsText?(): boolean;
  /**
   * Offered every start tag inside the root element before the reader reads it: may read the whole element
   * (`text` from `start`, its '<', to its end tag, all before `end`) by itself, with every effect the events
   * would have had, and answer the index after it; or answer -1, having done nothing, and the reader reads it.
   * It may only take an element the reader would read without error: one it cannot vouch for is left to the
   * reader, whose errors and offsets stay the only ones. `depthLeft`: how many levels may still open (the
   * element itself is one); `nextAmp`: the index of the first '&' at or after `start` (-1: none).
   */
  element?(text: string, start: number, end: number, depthLeft: number, nextAmp: number): number;
}

export interface ReadXmlOptions {
  /** Deepest allowed element nesting (default 64). */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;
const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
/** The attributes of every tag that has none. */
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

/** The last error `fail` raised: readXml tells its own errors from its handlers'. */
let lastFailure: ValidationError | undefined;

function fail(offset: number, reason: string): never {
  lastFailure = new ValidationError({
    code: "corrupt_file",
    message: `The XML is not well-formed: ${reason}.`,
    details: { offset, reason },
  });
  throw lastFailure;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** 1 for the ASCII characters that end a name: whitespace, / > = < " ' &. */
const NAME_END = new Uint8Array(128);
for (const c of " \t\n\r/>=<\"'&") NAME_END[c.charCodeAt(0)] = 1;

/** The end of the name that starts at `from` (the first character that ends a name, or `n`). */
function nameEndAt(text: string, from: number, n: number): number {
  let k = from;
  for (;;) {
    if (k >= n) return n;
    const code = text.charCodeAt(k);
    if (code < 0x80 && NAME_END[code] === 1) return k;
    k += 1;
  }
}

function isNameStart(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x5f ||
    code === 0x3a ||
    code > 0x7f
  );
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(":");
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

/** Decodes the predefined entities and character references of `raw`, which starts at `offset` in the document. */
export function decodeXmlEntities(raw: string, offset = 0): string {
  let amp = raw.indexOf("&");
  if (amp === -1) return raw;
  let out = "";
  let from = 0;
  while (amp !== -1) {
    out += raw.slice(from, amp);
    const semi = raw.indexOf(";", amp + 1);
    if (semi === -1 || semi - amp > 12) fail(offset + amp, "an unterminated entity reference");
    const name = raw.slice(amp + 1, semi);
    if (name.startsWith("#")) {
      const isHex = name[1] === "x";
      const digits = name.slice(isHex ? 2 : 1);
      if (!(isHex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits))
        fail(offset + amp, "a malformed character reference");
      const codePoint = Number.parseInt(digits, isHex ? 16 : 10);
      if (
        codePoint === 0 ||
        codePoint > 0x10ffff ||
        (codePoint >= 0xd800 && codePoint <= 0xdfff) ||
        (codePoint < 0x20 && codePoint !== 0x09 && codePoint !== 0x0a && codePoint !== 0x0d)
      ) {
        fail(offset + amp, "a character reference to a character XML forbids");
      }
      out += String.fromCodePoint(codePoint);
    } else {
      const value = PREDEFINED[name];
      if (value === undefined)
        fail(offset + amp, `an undefined entity "&${name};" (only the predefined ones are allowed)`);
      out += value;
    }
    from = semi + 1;
    amp = raw.indexOf("&", from);
  }
  return out + raw.slice(from);
}

/**
 * A comment, a CDATA section (its text reported) or a processing instruction at `i` (`<!` or `<?`); anything else
 * `<!` starts (a DOCTYPE) fails. Answers the index after it.
 */
function skipMarkup(
  text: string,
  i: number,
  base: number,
  outsideRoot: boolean,
  handler: XmlHandler,
): number {
  if (text.charCodeAt(i + 1) === 0x3f /* ? */) {
    const end = text.indexOf("?>", i + 2);
    if (end === -1) fail(base + i, "an unterminated processing instruction");
    return end + 2;
  }
  if (text.startsWith("<!--", i)) {
    const end = text.indexOf("-->", i + 4);
    if (end === -1) fail(base + i, "an unterminated comment");
    return end + 3;
  }
  if (text.startsWith("<![CDATA[", i)) {
    if (outsideRoot) fail(base + i, "CDATA outside the root element");
    const end = text.indexOf("]]>", i + 9);
    if (end === -1) fail(base + i, "an unterminated CDATA section");
    handler.text(text.slice(i + 9, end));
    return end + 3;
  }
  return fail(base + i, "a DOCTYPE or other markup declaration (not accepted: entity expansion defence)");
}

/** The end tag at `i` (`</`): closes the open element (popped from `stack`/`locals`); the index after it. */
function readEndTag(
  text: string,
  i: number,
  n: number,
  base: number,
  stack: string[],
  locals: string[],
  handler: XmlHandler,
): number {
  const top = stack[stack.length - 1];
  // The usual `</name>` of the open element, compared in place without scanning for the name's end (the open
  // name holds no character that ends a name, so the scan below would stop at the same '>').
  if (top !== undefined && text.charCodeAt(i + 2 + top.length) === 0x3e && text.startsWith(top, i + 2)) {
    stack.pop();
    handler.close(locals.pop() ?? top);
    return i + 3 + top.length;
  }
  const nameEnd = nameEndAt(text, i + 2, n);
  let k = nameEnd;
  while (k < n && isSpace(text.charCodeAt(k))) k += 1;
  if (text.charCodeAt(k) !== 0x3e) fail(base + k, "a malformed end tag");
  // Looked at, not popped, until the tag is known good: a construct read again starts from the same state.
  const open = stack[stack.length - 1];
  // The name is compared in place: no copy of it is made unless it is wrong.
  if (open === undefined) fail(base + i, `an end tag </${text.slice(i + 2, nameEnd)}> without a start tag`);
  if (nameEnd - (i + 2) !== open.length || !text.startsWith(open, i + 2))
    fail(base + i, `</${text.slice(i + 2, nameEnd)}> closes <${open}>`);
  stack.pop();
  handler.close(locals.pop() ?? open);
  return k + 1;
}

/** What readStartTagRest read: the tag's attributes (undefined: none) and whether it closed itself. */
let tagAttributes: Record<string, string> | undefined;
let tagSelfClosing = false;

/**
 * The rest of the start tag `<name` at `i` from `k` (after the name): its attributes and its end, into
 * tagAttributes / tagSelfClosing; the index after the tag.
 */
function readStartTagRest(text: string, i: number, k: number, n: number, base: number, name: string): number {
  // No prototype: an attribute called "__proto__" must stay an attribute. Made at the first attribute.
  let attributes: Record<string, string> | undefined;
  let selfClosing = false;
  for (;;) {
    const before = k;
    while (k < n && isSpace(text.charCodeAt(k))) k += 1;
    const code = text.charCodeAt(k);
    if (code === 0x3e /* > */) {
      k += 1;
      break;
    }
    if (code === 0x2f /* / */) {
      if (text.charCodeAt(k + 1) !== 0x3e) fail(base + k, "a '/' inside a tag");
      selfClosing = true;
      k += 2;
      break;
    }
    if (k >= n) fail(base + i, `an unterminated <${name}> tag`);
    if (k === before) fail(base + k, "attributes not separated by whitespace");
    const nameStart = k;
    k = nameEndAt(text, k, n);
    const attributeName = text.slice(nameStart, k);
    if (attributeName === "" || !isNameStart(attributeName.charCodeAt(0)))
      fail(base + nameStart, "a malformed attribute");
    while (k < n && isSpace(text.charCodeAt(k))) k += 1;
    if (text.charCodeAt(k) !== 0x3d /* = */) fail(base + k, `attribute ${attributeName} without a value`);
    k += 1;
    while (k < n && isSpace(text.charCodeAt(k))) k += 1;
    const quote = text[k];
    if (quote !== '"' && quote !== "'") fail(base + k, `attribute ${attributeName} with an unquoted value`);
    const valueEnd = text.indexOf(quote, k + 1);
    if (valueEnd === -1) fail(base + k, `attribute ${attributeName} with an unterminated value`);
    const raw = text.slice(k + 1, valueEnd);
    if (raw.includes("<")) fail(base + k, `a '<' in the value of attribute ${attributeName}`);
    attributes ??= Object.create(null) as Record<string, string>;
    if (Object.hasOwn(attributes, attributeName))
      fail(base + nameStart, `a duplicate attribute ${attributeName}`);
    attributes[attributeName] = decodeXmlEntities(raw, base + k + 1);
    k = valueEnd + 1;
  }
  tagAttributes = attributes;
  tagSelfClosing = selfClosing;
  return k;
}

export type ReadXmlParameters = Parameters<typeof readXml>;

/**
 * A document as one string, or as consecutive pieces each of which after the first starts with `<` (how
 * parseWorkoutFile.ts decodes a large file: no string above V8's large-object size is ever made, see there).
 * The events, errors and error offsets are the ones the joined string gives.
 */
export type XmlText = string | readonly string[];

export function readXml(input: XmlText, handler: XmlHandler, options: ReadXmlOptions = {}): void {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const pieces = typeof input === "string" ? [input] : input;
  for (let p = 1; p < pieces.length; p += 1) {
    if (pieces[p]?.charCodeAt(0) !== 0x3c) throw new TypeError(`XML piece ${p} does not start with '<'.`);
  }
  const lastPiece = Math.max(0, pieces.length - 1);
  /** The piece being read (or, once a construct ran past the end of one, the rest of the document). */
  let text = pieces[0] ?? "";
  let piece = 0;
  /** The offset of `text` in the whole document (error offsets are the document's). */
  let base = 0;
  let n = text.length;
  const stack: string[] = [];
  /** The local names of `stack`'s elements. */
  const locals: string[] = [];
  let rootSeen = false;
  let i = 0;
  /** Where the construct being read starts: every event before it has been reported, none after. */
  let mark = 0;
  /** The next '&' at or after the text being read (-1: none left), found once for all the skipped text. */
  let nextAmp = -2;

  for (;;) {
    try {
      for (;;) {
        if (i >= n) {
          if (piece === lastPiece) break;
          // The next piece starts with '<': no text runs across the boundary.
          piece += 1;
          base += n;
          text = pieces[piece] ?? "";
          n = text.length;
          i = 0;
          nextAmp = -2;
        }
        mark = i;
        const lt = text.indexOf("<", i);
        const textEnd = lt === -1 ? n : lt;
        if (textEnd > i) {
          if (stack.length === 0) {
            for (let k = i; k < textEnd; k += 1) {
              if (!isSpace(text.charCodeAt(k))) fail(base + k, "text outside the root element");
            }
          } else if (handler.wantsText?.() !== false) {
            handler.text(decodeXmlEntities(text.slice(i, textEnd), base + i));
          } else {
            if (nextAmp !== -1 && nextAmp < i) nextAmp = text.indexOf("&", i);
            if (nextAmp !== -1 && nextAmp < textEnd) decodeXmlEntities(text.slice(i, textEnd), base + i);
          }
        }
        if (lt === -1) {
          i = n;
          continue;
        }
        i = lt;
        mark = lt;
        const next = text.charCodeAt(i + 1);

        if (next === 0x21 /* ! */ || next === 0x3f /* ? */) {
          i = skipMarkup(text, i, base, stack.length === 0, handler);
          continue;
        }

        if (next === 0x2f /* / */) {
          i = readEndTag(text, i, n, base, stack, locals, handler);
          continue;
        }

        // Start tag.
        if (handler.element !== undefined && stack.length > 0) {
          if (nextAmp !== -1 && nextAmp < i) nextAmp = text.indexOf("&", i);
          const after = handler.element(text, i, n, maxDepth - stack.length, nextAmp);
          if (after !== -1) {
            i = after;
            continue;
          }
        }
        if (!isNameStart(next)) fail(base + i, "a '<' that starts no tag");
        if (stack.length === 0 && rootSeen) fail(base + i, "a second root element");
        let k = nameEndAt(text, i + 1, n);
        const name = text.slice(i + 1, k);
        k = readStartTagRest(text, i, k, n, base, name);
        const attributes = tagAttributes;
        const selfClosing = tagSelfClosing;
        // Nothing of a document may outlive its read (a slice of the text keeps the whole text alive).
        tagAttributes = undefined;
        if (stack.length >= maxDepth) fail(base + i, `elements nested deeper than ${maxDepth}`);
        rootSeen = true;
        const local = localName(name);
        handler.open(local, attributes ?? NO_ATTRIBUTES);
        if (selfClosing) {
          handler.close(local);
        } else {
          stack.push(name);
          locals.push(local);
        }
        i = k;
      }
      break;
    } catch (error) {
      // A construct may run past the end of its piece (a comment or CDATA holding '<', a truncated tag): an error
      // of this reader in any piece but the last is read again from the construct's start, with the rest of the
      // document joined on. What fails then is what the whole string gives; handlers' errors pass through.
      if (error !== lastFailure || piece === lastPiece) throw error;
      text = text.slice(mark) + pieces.slice(piece + 1).join("");
      piece = lastPiece;
      base += mark;
      n = text.length;
      i = 0;
      nextAmp = -2;
    }
  }

  if (stack.length > 0) fail(base + n, `<${stack[stack.length - 1]}> is never closed`);
  if (!rootSeen) fail(base + n, "there is no root element");
}
