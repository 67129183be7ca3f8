/** Tokens at rest: AES-256-GCM sealing bound to provider, athlete and kind; plain storage without a key. */
import { expect } from "chai";
import { AgentError } from "../../src/errors.ts";
import { createTokenCipher, parseTokenKey, type TokenContext } from "../../src/providers/tokenCipher.ts";

const KEY_HEX = "8f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100";
const ACCESS: TokenContext = { provider: "strava", athleteId: "42", kind: "access" };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof AgentError ? error.code : "not an AgentError";
  }
  return undefined;
}

describe("token cipher", () => {
  const cipher = createTokenCipher({ key: KEY_HEX });

  it("seals a token so the stored form reveals nothing and opens back", () => {
    const sealed = cipher.seal("at_secret_token_value", ACCESS);
    expect(cipher.encrypts).to.equal(true);
    expect(sealed).to.match(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.to.include("secret");
    expect(cipher.seal("at_secret_token_value", ACCESS)).not.to.equal(sealed);
    expect(cipher.open(sealed, ACCESS)).to.equal("at_secret_token_value");
  });

  it("binds a sealed token to its provider, athlete and kind", () => {
    const sealed = cipher.seal("at_secret", ACCESS);
    expect(codeOf(() => cipher.open(sealed, { ...ACCESS, athleteId: "43" }))).to.equal(
      "token_decryption_failed",
    );
    expect(codeOf(() => cipher.open(sealed, { ...ACCESS, kind: "refresh" }))).to.equal(
      "token_decryption_failed",
    );
  });

  it("detects tampering and a wrong key", () => {
    const sealed = cipher.seal("at_secret", ACCESS);
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === "A" ? "B" : "A"}${sealed.at(-1)}`;
    expect(codeOf(() => cipher.open(flipped, ACCESS))).to.equal("token_decryption_failed");
    expect(codeOf(() => cipher.open("v1.AAAA", ACCESS))).to.equal("token_decryption_failed");
    const other = createTokenCipher({ key: Buffer.alloc(32, 7).toString("base64") });
    expect(codeOf(() => other.open(sealed, ACCESS))).to.equal("token_decryption_failed");
  });

  it("stores tokens as given without a key, and opens plain tokens under a key (turning encryption on)", () => {
    const plain = createTokenCipher();
    expect(plain.encrypts).to.equal(false);
    expect(plain.seal("at_plain", ACCESS)).to.equal("at_plain");
    expect(cipher.open("at_plain", ACCESS)).to.equal("at_plain");
    expect(codeOf(() => plain.open(cipher.seal("at_x", ACCESS), ACCESS))).to.equal("token_key_missing");
  });

  it("accepts 32-byte keys in hex or base64 only", () => {
    expect(parseTokenKey(KEY_HEX)).to.have.length(32);
    expect(parseTokenKey(Buffer.alloc(32, 1).toString("base64"))).to.have.length(32);
    expect(parseTokenKey(Buffer.alloc(32, 1).toString("base64url"))).to.have.length(32);
    expect(codeOf(() => parseTokenKey("abcd"))).to.equal("token_key_invalid");
    expect(codeOf(() => parseTokenKey(Buffer.alloc(16, 1).toString("base64")))).to.equal("token_key_invalid");
    expect(codeOf(() => parseTokenKey(`${KEY_HEX}00`))).to.equal("token_key_invalid");
  });
});
