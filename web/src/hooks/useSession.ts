/**
 * Sign-In with Ethereum against the agent: the session query, and sign-in / sign-out mutations. A session
 * for another address than the connected wallet counts as signed out.
 */
import { type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createSiweMessage } from "viem/siwe";
import { useConnection, useSignMessage } from "wagmi";
import { fetchNonce, fetchSession, signOut, verifySignIn } from "../api/agentClient.ts";
import type { Session } from "../api/schemas.ts";
import { agentUrl } from "../env.ts";
import { oracleAgentsFor } from "../oracles/oracleAgents.ts";
import { checkSignInBinding } from "../oracles/siweBinding.ts";

export const SESSION_KEY = ["session"] as const;

export interface UseSessionReturnType {
  session: Session | null;
  signedIn: boolean;
  loading: boolean;
  error: unknown;
}

export function sessionMatches(session: Session | null | undefined, address: string | undefined): boolean {
  return session != null && address !== undefined && session.address.toLowerCase() === address.toLowerCase();
}

export function useSession(): UseSessionReturnType {
  const { address } = useConnection();
  const query = useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, retry: false, staleTime: 60_000 });
  const session = query.data ?? null;
  const signedIn = sessionMatches(session, address);
  return { session: signedIn ? session : null, signedIn, loading: query.isPending, error: query.error };
}

/** Builds the EIP-4361 message from the values the agent says it will check. */
export function buildSignInMessage(p: {
  address: `0x${string}`;
  nonce: { nonce: string; domain: string; uri: string; chainId: number };
  issuedAt: Date;
}): string {
  return createSiweMessage({
    address: p.address,
    chainId: p.nonce.chainId,
    domain: p.nonce.domain,
    nonce: p.nonce.nonce,
    uri: p.nonce.uri,
    version: "1",
    statement: "Sign in to Resolution Autopilot.",
    issuedAt: p.issuedAt,
  });
}

/**
 * After a sign-in the agent answers for a possibly different account: every cached agent answer (`["api", …]`:
 * preferences, workouts, nudges, the Strava link) is dropped, so the previous account's data is never shown to the
 * new one, nor a form seeded with it saved on its behalf.
 */
export async function afterSignIn(queryClient: QueryClient): Promise<void> {
  queryClient.removeQueries({ queryKey: ["api"] });
  await queryClient.invalidateQueries({ queryKey: SESSION_KEY });
}

export function useSignIn() {
  const { address, chainId } = useConnection();
  const { mutateAsync: signMessage } = useSignMessage();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      if (address === undefined) throw new Error("Connect a wallet first.");
      const nonce = await fetchNonce();
      checkSignInBinding({
        agentUrl,
        nonceUri: nonce.uri,
        primary: true,
        agentUrls: oracleAgentsFor(chainId).map((a) => a.url),
        webOrigin: window.location.origin,
      });
      const message = buildSignInMessage({ address, nonce, issuedAt: new Date() });
      const signature = await signMessage({ message });
      return verifySignIn(message, signature);
    },
    onSuccess: () => afterSignIn(queryClient),
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: signOut,
    onSettled: () => {
      queryClient.setQueryData(SESSION_KEY, null);
      queryClient.removeQueries({ queryKey: ["api"] });
    },
  });
}
