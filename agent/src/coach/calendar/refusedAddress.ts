/**
 * Addresses an outbound request from the agent must never reach unless configuration allows it (SSRF):
 * unspecified, loopback, private (RFC 1918), carrier-grade NAT (100.64/10), link-local (169.254/16 and
 * fe80::/10, which includes cloud metadata), IPv6 unique-local (fc00::/7), multicast, documentation and
 * reserved ranges. IPv4 embedded in IPv6 is checked as the IPv4 address it carries: IPv4-compatible
 * (`::a.b.c.d`, so `[::127.0.0.1]`), IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`),
 * well-known NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`). Ranges whose IPv4 cannot be read back reliably are
 * refused whole: local-use NAT64 (`64:ff9b:1::/48`, RFC 8215, any prefix length) and Teredo (`2001::/32`, whose
 * client address is obfuscated and which no public service is reached through).
 */
import { BlockList, isIP } from "node:net";

/** A BlockList of `family` holding each (network, prefix length) subnet. */
function blockListOf(family: "ipv4" | "ipv6", subnets: ReadonlyArray<readonly [string, number]>): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, family);
  return list;
}

const refusedV4 = blockListOf("ipv4", [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const);

const refusedV6 = blockListOf("ipv6", [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 32],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const);

/** Expands an IPv6 text into its 8 groups (numbers), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase().split("%")[0] ?? "";
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4?.[1] !== undefined) {
    const octets = v4[1].split(".").map(Number);
    const hex = [((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)];
    text = `${text.slice(0, -v4[1].length)}${hex[0]?.toString(16)}:${hex[1]?.toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [
    ...headGroups,
    ...new Array<string>(tail === undefined ? 0 : missing).fill("0"),
    ...tailGroups,
  ];
  return groups.map((g) => Number.parseInt(g, 16));
}

function v4FromGroups(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/**
 * The IPv4 address an IPv6 address carries (compatible ::a.b.c.d, mapped ::ffff:a.b.c.d, translated
 * ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. `::` and `::1` read as 0.0.0.0 and 0.0.0.1,
 * both refused like the IPv6 addresses they are.
 */
function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (g === null) return null;
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h = 0, i = 0] = g;
  const zeroHead = a === 0 && b === 0 && c === 0 && d === 0;
  if (zeroHead && e === 0 && (f === 0 || f === 0xffff)) return v4FromGroups(h, i);
  if (zeroHead && e === 0xffff && f === 0) return v4FromGroups(h, i);
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return v4FromGroups(h, i);
  if (a === 0x2002) return v4FromGroups(b, c);
  return null;
}

/** True when `address` (an IP literal) must not be contacted; anything that is not an IP is refused too. */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return refusedV4.check(address, "ipv4");
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== null) return refusedV4.check(inner, "ipv4");
    return refusedV6.check(address.split("%")[0] ?? address, "ipv6");
  }
  return true;
}
