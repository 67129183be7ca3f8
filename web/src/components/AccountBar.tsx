/** Header controls: connect / disconnect, the connected address, Sign in with Ethereum / sign out. */
import { useState } from "react";
import { useConnection, useDisconnect } from "wagmi";
import { useSession, useSignIn, useSignOut } from "../hooks/useSession.ts";
import { ConnectDialog } from "./ConnectDialog.tsx";

export function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

export function AccountBar() {
  const { address, isConnected } = useConnection();
  const disconnect = useDisconnect();
  const { signedIn } = useSession();
  const signIn = useSignIn();
  const signOut = useSignOut();
  const [dialogOpen, setDialogOpen] = useState(false);

  if (!isConnected || address === undefined) {
    return (
      <div className="account">
        <button type="button" className="secondary" onClick={() => setDialogOpen(true)}>
          Connect wallet
        </button>
        <ConnectDialog open={dialogOpen} onClose={() => setDialogOpen(false)} />
      </div>
    );
  }
  return (
    <div className="account">
      <span className="addr" title={address}>
        <span className="visually-hidden">Connected as </span>
        {shortAddress(address)}
      </span>
      {signedIn ? (
        <button
          type="button"
          className="secondary"
          onClick={() => signOut.mutate()}
          disabled={signOut.isPending}
        >
          Sign out
        </button>
      ) : (
        <button
          type="button"
          className="secondary"
          onClick={() => signIn.mutate()}
          disabled={signIn.isPending}
        >
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
      )}
      <button
        type="button"
        className="secondary"
        onClick={() => {
          signOut.mutate();
          disconnect.mutate();
        }}
      >
        Disconnect
      </button>
    </div>
  );
}
