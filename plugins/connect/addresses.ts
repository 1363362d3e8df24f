// Which IP addresses a proxied connection may reach (docs/design.md §8). Refused unless the
// operator lists them in allowAddresses: addresses that are not the public Internet — this
// host, private networks, link-local (169.254.169.254 is the cloud metadata service: SSRF),
// multicast, reserved — in every IPv6 spelling that reaches them (IPv4-mapped, NAT64, 6to4).
import { BlockList, isIP, SocketAddress } from "node:net";

export interface IpAddress {
  /** Canonical text; an IPv4-mapped IPv6 address is given as the IPv4 address it maps. */
  readonly address: string;
  readonly family: 4 | 6;
}

type Range = readonly [network: string, prefix: number];

// RFC 6890 special-purpose IPv4 blocks that are not globally reachable unicast.
const DENIED_V4: readonly Range[] = [
  ["0.0.0.0", 8], // "this network"; connecting to 0.0.0.0 reaches this host on Linux
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // RFC 6598 carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // RFC 6890 IETF protocol assignments
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // RFC 2544 benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255 broadcast
];

const DENIED_V6: readonly Range[] = [
  ["::", 96], // :: (unspecified: reaches this host), ::1 (loopback), IPv4-compatible (RFC 4291 §2.5.5.1, deprecated)
  ["fc00::", 7], // RFC 4193 unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (RFC 3879, deprecated)
  ["ff00::", 8], // multicast
  ["2001::", 32], // Teredo: embeds an obfuscated IPv4 address
  ["64:ff9b:1::", 48], // RFC 8215 local-use NAT64
];

/** The IPv4 address an IPv6 address stands for, where a translator would reach it. */
function embeddedIPv4(bytes: Uint8Array): IpAddress | undefined {
  const zeros = (from: number, to: number): boolean => bytes.subarray(from, to).every((b) => b === 0);
  let at = -1;
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) at = 12; // RFC 6052 NAT64 64:ff9b::/96
  else if (bytes[0] === 0x20 && bytes[1] === 0x02) at = 2; // RFC 3056 6to4 2002:V4ADDR::/48
  if (at < 0) return undefined;
  return { address: `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`, family: 4 };
}

/** The 16 bytes of a valid IPv6 address (net.isIPv6 true; a zone "%eth0" is ignored). */
export function ipv6Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let s = text;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.indexOf(".", lastColon) >= 0) {
    // A dotted IPv4 tail (::ffff:1.2.3.4) fills the last 32 bits.
    tail = s.slice(lastColon + 1).split(".").map(Number);
    s = s.slice(0, lastColon + 1) + "0:0";
  }
  const [head = "", rest] = s.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = rest === undefined || rest === "" ? [] : rest.split(":");
  const groups = rest === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

/**
 * The canonical form of an IP address, or undefined when `text` is not one. IPv4-mapped IPv6
 * (::ffff:127.0.0.1, ::ffff:7f00:1) becomes the IPv4 address: the kernel connects a
 * dual-stack socket to it over IPv4, so it must be judged as IPv4.
 */
export function canonicalIp(text: string): IpAddress | undefined {
  const family = isIP(text);
  if (family === 4) return { address: new SocketAddress({ address: text, family: "ipv4" }).address, family: 4 };
  if (family !== 6) return undefined;
  const bytes = ipv6Bytes(text);
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return { address: `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`, family: 4 };
  }
  const zone = text.indexOf("%");
  return { address: new SocketAddress({ address: zone >= 0 ? text.slice(0, zone) : text, family: "ipv6" }).address, family: 6 };
}

/** "10.0.0.0/8", "fd00::/8", or a bare address (/32, /128) -> a BlockList rule. Throws on bad input. */
function addCidr(list: BlockList, cidr: string): void {
  const slash = cidr.indexOf("/");
  const ip = canonicalIp(slash < 0 ? cidr : cidr.slice(0, slash));
  if (ip === undefined) throw new Error(`allowAddresses: ${JSON.stringify(cidr)} is not an IP address or CIDR range`);
  const max = ip.family === 4 ? 32 : 128;
  const mappedV4 = ip.family === 4 && isIP(cidr.slice(0, slash < 0 ? undefined : slash)) === 6;
  let prefix = slash < 0 ? max : Number(cidr.slice(slash + 1));
  // "::ffff:10.0.0.0/104" names IPv4 10/8 through its mapped form.
  if (mappedV4 && slash >= 0) prefix -= 96;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`allowAddresses: ${JSON.stringify(cidr)} has a prefix length outside 0-${max}`);
  list.addSubnet(ip.address, prefix, ip.family === 4 ? "ipv4" : "ipv6");
}

function blockList(v4: readonly Range[], v6: readonly Range[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, "ipv4");
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, "ipv6");
  return list;
}

export class AddressPolicy {
  readonly #denied = blockList(DENIED_V4, DENIED_V6);
  readonly #allowed = new BlockList();

  /** `allowAddresses`: CIDR ranges lifted from the deny list. Throws on a malformed entry. */
  constructor(allowAddresses: readonly string[]) {
    for (const cidr of allowAddresses) addCidr(this.#allowed, cidr);
  }

  /** Whether a connection to `ip` (canonical) is allowed; the server's own listeners are checked apart. */
  permits(ip: IpAddress): boolean {
    const type = ip.family === 4 ? "ipv4" : "ipv6";
    // An explicit allow wins; node's BlockList also matches IPv4 rules against IPv4-mapped IPv6.
    if (this.#allowed.check(ip.address, type)) return true;
    if (this.#denied.check(ip.address, type)) return false;
    if (ip.family === 6) {
      const v4 = embeddedIPv4(ipv6Bytes(ip.address));
      if (v4 !== undefined) return this.permits(v4);
    }
    return true;
  }
}
