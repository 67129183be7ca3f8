import type { IncomingMessage } from "node:http";
import { expect } from "chai";
import { cookieOf } from "../../src/http/cookies.ts";

const withCookie = (cookie: string | undefined) =>
  ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

describe("cookieOf", () => {
  it("reads the named cookie among others, URI-decoded", () => {
    const req = withCookie("theme=dark; ra_session=abc_DEF-123; note=a%20b%3Bc");
    expect(cookieOf(req, "ra_session")).to.equal("abc_DEF-123");
    expect(cookieOf(req, "note")).to.equal("a b;c");
  });

  it("answers undefined without a Cookie header, with an empty one, or when the name is absent", () => {
    expect(cookieOf(withCookie(undefined), "ra_session")).to.equal(undefined);
    expect(cookieOf(withCookie(""), "ra_session")).to.equal(undefined);
    expect(cookieOf(withCookie("ra_session_old=x; other=y"), "ra_session")).to.equal(undefined);
  });

  it("keeps the first of duplicated names and survives malformed pairs", () => {
    expect(cookieOf(withCookie("ra_session=first; ra_session=second"), "ra_session")).to.equal("first");
    expect(cookieOf(withCookie("garbage; =novalue; ra_session=ok; bad=%E0%A4%A"), "ra_session")).to.equal(
      "ok",
    );
  });
});
