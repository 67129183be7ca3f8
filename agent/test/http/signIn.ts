/**
 * Signs a test account in through the real SIWE routes (nonce → EIP-4361 message → signature → verify) and
 * returns the `Cookie` header value to send with later requests. For route tests that need a session.
 */
import type { Express } from "express";
import request from "supertest";
import type { PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import type { Clock } from "../../src/clock.ts";

export interface SignInParameters {
  app: Express;
  clock: Clock;
  account: PrivateKeyAccount;
}

/** `ra_session=<token>`: pass as `.set("Cookie", cookie)`. Throws when the sign-in does not answer 200. */
export async function signIn({ app, clock, account }: SignInParameters): Promise<string> {
  const nonceRes = await request(app).post("/api/auth/nonce");
  if (nonceRes.status !== 200) throw new Error(`nonce: ${nonceRes.status} ${JSON.stringify(nonceRes.body)}`);
  const { nonce, domain, uri, chainId } = nonceRes.body as {
    nonce: string;
    domain: string;
    uri: string;
    chainId: number;
  };
  const message = createSiweMessage({
    address: account.address,
    chainId,
    domain,
    nonce,
    uri,
    version: "1",
    issuedAt: new Date(clock.now()),
  });
  const signature = await account.signMessage({ message });
  const res = await request(app).post("/api/auth/verify").send({ message, signature });
  if (res.status !== 200) throw new Error(`verify: ${res.status} ${JSON.stringify(res.body)}`);
  const setCookie = res.headers["set-cookie"] as unknown as string[] | string | undefined;
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  const cookie = header?.split(";")[0];
  if (cookie === undefined || !cookie.startsWith("ra_session=")) throw new Error("no session cookie");
  return cookie;
}
