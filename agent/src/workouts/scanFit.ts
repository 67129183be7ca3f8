import { CrcCalculator } from "@garmin/fitsdk";
import { isFitHeader } from "./detectFormat.ts";

/**
 * Walks the structure of a FIT file without decoding any field: headers, definition messages and the size of
 * each data message. It is cheap (no objects per message) and tells, before the SDK decodes anything:
 * - how many record messages (samples) the file holds, and how many data messages of any kind and fields
 *   across them (what the SDK would decode: it builds an object per message), so a huge file is refused before
 *   it costs memory;
 * - how far the file can be trusted. Each FIT segment (chained files have several) ends up:
 *   - `intact`: sizes consistent, header and file CRCs match;
 *   - `crc_mismatch`: the structure is fine but a CRC does not match (bytes changed after the device wrote them);
 *   - `truncated`: the data stops in the middle of a message (a file copied while being written, or a header
 *     that still declares size 0 because the device never finalised it); every complete message before the cut
 *     can be trusted;
 *   - `malformed`: the structure breaks before the end of the file (a data message with no definition, an
 *     unknown base type): what follows is garbage, e.g. a CRLF→LF mangled file.
 *   - `unsupported`: compressed-timestamp headers, which the SDK cannot decode.
 * `validEnd` is where the last complete, trustworthy message of the segment ends.
 */
export type FitSegmentStatus = "intact" | "crc_mismatch" | "truncated" | "malformed" | "unsupported";

export interface FitSegment {
  offset: number;
  headerSize: number;
  declaredDataSize: number;
  /** Offset of the first data byte. */
  dataStart: number;
  /** Offset just past the last complete message that can be trusted. */
  validEnd: number;
  status: FitSegmentStatus;
  /** Why the segment is not intact. */
  problem?: string;
  records: number;
  messages: number;
}

/** Bounds on what the SDK would decode: data messages of every kind, and fields across them (decoded size). */
export interface ScanFitBounds {
  maxMessages: number;
  maxFields: number;
}

export interface ScanFitReturnType {
  segments: FitSegment[];
  /** Record messages (global message 20) in all segments. */
  records: number;
  /** Bytes after the last segment that are not a FIT segment (ignored). */
  trailingBytes: number;
  /** True when the scan stopped early because `maxRecords` was exceeded. */
  exceededRecords: boolean;
  /** Data messages of every kind, and their fields (developer fields included), up to where the scan stopped. */
  dataMessages: number;
  fields: number;
  /** Set when the scan stopped early because a bound of `ScanFitBounds` was exceeded. */
  exceeded?: "messages" | "fields";
}
export type ScanFitParameters = Parameters<typeof scanFit>;

const RECORD_MESG_NUM = 20;
const MAX_BASE_TYPE = 0x10;

interface LocalDefinition {
  globalNum: number;
  size: number;
  fields: number;
}

function readUint32LE(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16)) +
    (bytes[at + 3] ?? 0) * 2 ** 24
  );
}

function readUint16LE(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
}

export function scanFit(
  bytes: Uint8Array,
  maxRecords: number,
  bounds: ScanFitBounds = { maxMessages: Number.POSITIVE_INFINITY, maxFields: Number.POSITIVE_INFINITY },
): ScanFitReturnType {
  const segments: FitSegment[] = [];
  let records = 0;
  let offset = 0;
  let exceededRecords = false;
  let dataMessages = 0;
  let fields = 0;
  let exceeded: ScanFitReturnType["exceeded"];
  const result = (trailingBytes: number): ScanFitReturnType => ({
    segments,
    records,
    trailingBytes,
    exceededRecords,
    dataMessages,
    fields,
    ...(exceeded === undefined ? {} : { exceeded }),
  });

  while (offset < bytes.length && isFitHeader(bytes, offset)) {
    const headerSize = bytes[offset] ?? 0;
    const declaredDataSize = readUint32LE(bytes, offset + 4);
    const dataStart = offset + headerSize;
    const declaredEnd = dataStart + declaredDataSize;
    // An unfinalised header (size 0) or one that declares more than the file holds: walk to the end of the file.
    const finalised = declaredDataSize > 0 && declaredEnd <= bytes.length;
    const walkEnd = finalised ? declaredEnd : bytes.length;
    const segment: FitSegment = {
      offset,
      headerSize,
      declaredDataSize,
      dataStart,
      validEnd: dataStart,
      status: "intact",
      records: 0,
      messages: 0,
    };
    segments.push(segment);

    const definitions: (LocalDefinition | undefined)[] = new Array(16).fill(undefined);
    let at = dataStart;
    let stop: { status: FitSegmentStatus; problem: string } | undefined;
    while (at < walkEnd) {
      const header = bytes[at] ?? 0;
      if ((header & 0x80) !== 0) {
        stop = { status: "unsupported", problem: `compressed-timestamp message at byte ${at}` };
        break;
      }
      const local = header & 0x0f;
      if ((header & 0x40) !== 0) {
        // Definition message: header, reserved, architecture, global number (2), field count, fields (3 each),
        // then developer fields when bit 5 is set.
        if (at + 6 > walkEnd) {
          stop = { status: "truncated", problem: `definition cut at byte ${at}` };
          break;
        }
        const architecture = bytes[at + 2] ?? 0;
        if (architecture > 1) {
          stop = { status: "malformed", problem: `bad architecture ${architecture} at byte ${at}` };
          break;
        }
        const globalNum =
          architecture === 0
            ? readUint16LE(bytes, at + 3)
            : ((bytes[at + 3] ?? 0) << 8) | (bytes[at + 4] ?? 0);
        const fieldCount = bytes[at + 5] ?? 0;
        let end = at + 6 + fieldCount * 3;
        if (end > walkEnd) {
          stop = { status: "truncated", problem: `definition cut at byte ${at}` };
          break;
        }
        let size = 0;
        let devFields = 0;
        let badBaseType = false;
        for (let f = 0; f < fieldCount; f += 1) {
          size += bytes[at + 6 + f * 3 + 1] ?? 0;
          if (((bytes[at + 6 + f * 3 + 2] ?? 0) & 0x1f) > MAX_BASE_TYPE) badBaseType = true;
        }
        if (badBaseType) {
          stop = { status: "malformed", problem: `unknown base type in definition at byte ${at}` };
          break;
        }
        if ((header & 0x20) !== 0) {
          if (end + 1 > walkEnd) {
            stop = { status: "truncated", problem: `definition cut at byte ${at}` };
            break;
          }
          const devCount = bytes[end] ?? 0;
          const devEnd = end + 1 + devCount * 3;
          if (devEnd > walkEnd) {
            stop = { status: "truncated", problem: `definition cut at byte ${at}` };
            break;
          }
          for (let f = 0; f < devCount; f += 1) size += bytes[end + 1 + f * 3 + 1] ?? 0;
          end = devEnd;
          devFields = devCount;
        }
        definitions[local] = { globalNum, size, fields: fieldCount + devFields };
        at = end;
      } else {
        const definition = definitions[local];
        if (definition === undefined) {
          stop = { status: "malformed", problem: `data message without a definition at byte ${at}` };
          break;
        }
        const end = at + 1 + definition.size;
        if (end > walkEnd) {
          stop = { status: "truncated", problem: `message cut at byte ${at}` };
          break;
        }
        // Every data message becomes an object in the SDK, even one with no fields: bounded by count and by fields.
        dataMessages += 1;
        fields += definition.fields;
        if (dataMessages > bounds.maxMessages || fields > bounds.maxFields) {
          exceeded = dataMessages > bounds.maxMessages ? "messages" : "fields";
          stop = { status: "truncated", problem: `${exceeded} limit exceeded` };
          break;
        }
        if (definition.globalNum === RECORD_MESG_NUM) {
          segment.records += 1;
          records += 1;
          if (records > maxRecords) {
            exceededRecords = true;
            stop = { status: "truncated", problem: "record limit exceeded" };
            break;
          }
        }
        at = end;
      }
      segment.messages += 1;
      segment.validEnd = at;
    }

    if (exceededRecords || exceeded !== undefined) return result(0);
    if (stop !== undefined) {
      // A definition or message straddling the declared end of a finalised file is a size mismatch: trust what
      // came before it, like a truncation. In an unfinalised file the last two bytes may be a CRC that does not
      // parse as a message: that is still a truncation, not corruption.
      if (stop.status === "malformed" && !finalised && at >= bytes.length - 2) stop.status = "truncated";
      segment.status = stop.status;
      segment.problem = stop.problem;
      return result(0);
    }
    if (!finalised) {
      segment.status = "truncated";
      segment.problem =
        declaredDataSize === 0
          ? "header declares no data (file never finalised)"
          : "header declares more data than the file holds";
      return result(0);
    }
    // Finalised and walked exactly to the declared end: check the CRCs.
    if (declaredEnd + 2 > bytes.length) {
      segment.status = "truncated";
      segment.problem = "file CRC missing";
      return result(0);
    }
    const storedCrc = readUint16LE(bytes, declaredEnd);
    const headerCrcOk =
      headerSize !== 14 ||
      readUint16LE(bytes, offset + 12) === 0 ||
      readUint16LE(bytes, offset + 12) === CrcCalculator.calculateCRC(bytes, offset, offset + 12);
    if (!headerCrcOk || storedCrc !== CrcCalculator.calculateCRC(bytes, offset, declaredEnd)) {
      segment.status = "crc_mismatch";
      segment.problem = headerCrcOk ? "file CRC does not match" : "header CRC does not match";
    }
    offset = declaredEnd + 2;
  }
  return result(bytes.length - offset);
}
