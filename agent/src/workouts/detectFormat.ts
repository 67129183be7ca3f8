import { UnsupportedError } from "../errors.ts";

/**
 * Tells FIT, GPX and TCX apart from the CONTENT, never from the file name or the declared MIME type.
 * - FIT: byte 0 is the header size (12 or 14) and bytes 8..11 are ".FIT".
 * - GPX / TCX: XML whose root element is `gpx` / `TrainingCenterDatabase` (with or without a namespace prefix).
 *   A UTF-8 byte order mark, leading whitespace (Polar V800 exports start with spaces), the XML declaration,
 *   comments and processing instructions before the root are skipped. A DOCTYPE names the root, so it is used to
 *   detect the format; the parsers then reject the file (no DOCTYPE is ever accepted).
 * Anything else throws UnsupportedError `unsupported_format`.
 */
export type WorkoutFormat = "fit" | "gpx" | "tcx";

export type DetectFormatParameters = Parameters<typeof detectFormat>;
export type DetectFormatReturnType = WorkoutFormat;

/** How much of the start of a file is looked at to find the XML root element. */
const SNIFF_BYTES = 64 * 1024;
const FIT_SIGNATURE = [0x2e, 0x46, 0x49, 0x54]; // ".FIT"

function unsupported(reason: string): never {
  throw new UnsupportedError({
    code: "unsupported_format",
    message: "The file is not a FIT, GPX or TCX workout file.",
    details: { reason },
  });
}

/** True when `bytes` starts with a FIT file header. */
export function isFitHeader(bytes: Uint8Array, offset = 0): boolean {
  const headerSize = bytes[offset];
  if (headerSize !== 12 && headerSize !== 14) return false;
  if (bytes.length < offset + headerSize) return false;
  return FIT_SIGNATURE.every((byte, i) => bytes[offset + 8 + i] === byte);
}

function rootFormat(qualifiedName: string): WorkoutFormat {
  const colon = qualifiedName.indexOf(":");
  const name = colon === -1 ? qualifiedName : qualifiedName.slice(colon + 1);
  if (name === "gpx") return "gpx";
  if (name === "TrainingCenterDatabase") return "tcx";
  return unsupported(`XML root element <${qualifiedName}> is neither <gpx> nor <TrainingCenterDatabase>`);
}

export function detectFormat(bytes: Uint8Array): WorkoutFormat {
  if (isFitHeader(bytes)) return "fit";

  let head = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(
    bytes.subarray(0, Math.min(bytes.length, SNIFF_BYTES)),
  );
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  let i = 0;
  for (;;) {
    while (i < head.length && /\s/.test(head[i] ?? "")) i += 1;
    if (i >= head.length) return unsupported("no XML root element in the first 64 KiB");
    if (head[i] !== "<") return unsupported("neither a FIT header nor XML");
    if (head.startsWith("<?", i)) {
      const end = head.indexOf("?>", i + 2);
      if (end === -1) return unsupported("unterminated XML declaration");
      i = end + 2;
    } else if (head.startsWith("<!--", i)) {
      const end = head.indexOf("-->", i + 4);
      if (end === -1) return unsupported("unterminated XML comment");
      i = end + 3;
    } else if (head.startsWith("<!DOCTYPE", i)) {
      const match = /^<!DOCTYPE\s+([^\s[>]+)/.exec(head.slice(i, i + 300));
      if (match?.[1] === undefined) return unsupported("malformed DOCTYPE");
      return rootFormat(match[1]);
    } else {
      const match = /^<([^\s/>!?]+)/.exec(head.slice(i, i + 300));
      if (match?.[1] === undefined) return unsupported("malformed XML");
      return rootFormat(match[1]);
    }
  }
}
