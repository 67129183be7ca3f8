/** Page cursors as the API encodes them (base64url JSON of the last row's time and id), for tests that forge one. */

/** A well-formed cursor whose `field` is in year 0, which PostgreSQL refuses in the keyset comparison. */
export function yearZeroCursor(field: string): string {
  return Buffer.from(
    JSON.stringify({ [field]: "0000-01-01T00:00:00Z", id: "00000000-0000-4000-8000-000000000000" }),
  ).toString("base64url");
}
