/**
 * The messages one execution of a named prepared statement sends PGlite, Bind + Execute + Sync, written in one
 * buffer: byte for byte what `protocol.serialize.bind({ statement, values })`, `protocol.serialize.execute({})`
 * and `protocol.serialize.sync()` give, concatenated (the unnamed portal, every parameter's format by its value
 * — text for a string, binary for bytes, null as length -1 — results in text, all rows).
 *
 * PGlite's serializer keeps its writers' state in private fields compiled to WeakMaps and reallocates a buffer
 * on every flush: for the agent's one-row lookups that was ~20 µs of a ~100 µs statement (docs/performance.md,
 * "HTTP API"). This writes each message once, in a buffer sized before it is filled.
 */

/** A parameter as a Bind carries it: text, bytes (binary format), or null. */
export type BindValue = string | ArrayBufferView | ArrayBuffer | null;

const BIND = 0x42;
/** Execute of the unnamed portal, no row limit: 'E', length 9, "" and int32 0. */
const EXECUTE_ALL = [0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0] as const;
/** Sync: 'S', length 4. */
const SYNC = [0x53, 0, 0, 0, 4] as const;

function bytesOf(value: ArrayBufferView | ArrayBuffer): Uint8Array {
  return value instanceof ArrayBuffer
    ? new Uint8Array(value)
    : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Bind (of `statement`, its NUL-terminated name given as bytes) + Execute + Sync, as one buffer. */
export function bindExecuteSync(statementName: Uint8Array, values: readonly BindValue[]): Uint8Array {
  const count = values.length;
  // 'B', length, "" (portal), the statement name and its NUL, format count, formats, value count, values, 0 result formats.
  let length = 4 + 1 + statementName.length + 1 + 2 + 2 * count + 2 + 2;
  for (const value of values) {
    length += 4;
    if (value === null) continue;
    length += typeof value === "string" ? Buffer.byteLength(value, "utf8") : value.byteLength;
  }
  const out = Buffer.allocUnsafe(1 + length + EXECUTE_ALL.length + SYNC.length);
  let at = out.writeUInt8(BIND, 0);
  at = out.writeInt32BE(length, at);
  out[at++] = 0;
  out.set(statementName, at);
  at += statementName.length;
  out[at++] = 0;
  at = out.writeUInt16BE(count, at);
  for (const value of values) {
    at = out.writeInt16BE(value === null || typeof value === "string" ? 0 : 1, at);
  }
  at = out.writeUInt16BE(count, at);
  for (const value of values) {
    if (value === null) {
      at = out.writeInt32BE(-1, at);
    } else if (typeof value === "string") {
      const written = out.write(value, at + 4, "utf8");
      out.writeInt32BE(written, at);
      at += 4 + written;
    } else {
      const bytes = bytesOf(value);
      at = out.writeInt32BE(bytes.length, at);
      out.set(bytes, at);
      at += bytes.length;
    }
  }
  at = out.writeInt16BE(0, at);
  out.set(EXECUTE_ALL, at);
  out.set(SYNC, at + EXECUTE_ALL.length);
  return out;
}
