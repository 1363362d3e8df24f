// The pure parts of the policy: address classification, target parsing and allow patterns.
// (Nothing here dials: public addresses are only classified.)
import { BlockList } from "node:net";
import { describe, expect, it } from "vitest";
import { AddressPolicy, canonicalIp } from "../../../plugins/connect/addresses.ts";
import { Listeners } from "../../../plugins/connect/local.ts";
import { AllowList, parseTarget } from "../../../plugins/connect/target.ts";

const ip = (text: string) => {
  const parsed = canonicalIp(text);
  if (parsed === undefined) throw new Error(`not an IP: ${text}`);
  return parsed;
};

describe("connect: address policy", () => {
  const strict = new AddressPolicy([]);

  it.each([
    "0.0.0.0", "0.255.255.255", "10.0.0.1", "100.64.0.1", "100.127.255.255", "127.0.0.1", "127.255.255.254",
    "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.168.0.1", "198.18.0.1", "198.19.255.255",
    "224.0.0.1", "239.255.255.255", "240.0.0.1", "255.255.255.255",
    "::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "fc00::1", "fdff::1", "fe80::1", "febf::1", "fec0::1", "ff02::1", "2001::1", "2001:0:4136:e378::1",
    "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:7f00:1::1", "2002:c0a8:101::1",
  ])("refuses %s", (address) => {
    expect(strict.permits(ip(address))).toBe(false);
  });

  it.each([
    "1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
    "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255", "93.184.216.34",
    "2606:4700::1111", "2a00:1450:4001::1", "::ffff:1.1.1.1", "64:ff9b::808:808", "2002:808:808::1", "2001:db9::1",
  ])("permits the public address %s", (address) => {
    expect(strict.permits(ip(address))).toBe(true);
  });

  it("lifts exactly the ranges listed in allowAddresses (IPv4 rules also cover IPv4-mapped IPv6)", () => {
    const policy = new AddressPolicy(["127.0.0.1/32", "10.0.0.0/8", "fd00::/8", "::ffff:192.168.0.0/112"]);
    expect(policy.permits(ip("127.0.0.1"))).toBe(true);
    expect(policy.permits(ip("::ffff:127.0.0.1"))).toBe(true);
    expect(policy.permits(ip("127.0.0.2"))).toBe(false);
    expect(policy.permits(ip("10.200.3.4"))).toBe(true);
    expect(policy.permits(ip("fd12::1"))).toBe(true);
    expect(policy.permits(ip("fc00::1"))).toBe(false);
    expect(policy.permits(ip("192.168.7.7"))).toBe(true);
    expect(policy.permits(ip("192.169.0.1"))).toBe(true);
    expect(policy.permits(ip("169.254.169.254"))).toBe(false);
  });

  it("node's BlockList matches an IPv4 rule against the IPv4-mapped IPv6 spelling (so both paths agree)", () => {
    const list = new BlockList();
    list.addSubnet("127.0.0.0", 8, "ipv4");
    expect(list.check("::ffff:127.0.0.1", "ipv6")).toBe(true);
  });

  it.each(["nonsense", "10.0.0.0/33", "::/129", "1.2.3.4/x", "::ffff:10.0.0.0/64"])("rejects the allowAddresses entry %s", (entry) => {
    expect(() => new AddressPolicy([entry])).toThrow(/allowAddresses/);
  });
});

describe("connect: targets", () => {
  it.each([
    ["example.com:443", { name: "example.com", port: 443, ip: undefined }],
    ["EXAMPLE.com.:8443", { name: "example.com", port: 8443, ip: undefined }],
    ["under_score.example:443", { name: "under_score.example", port: 443, ip: undefined }],
    ["127.0.0.1:443", { name: "127.0.0.1", port: 443, ip: { address: "127.0.0.1", family: 4 } }],
    ["[::1]:443", { name: "::1", port: 443, ip: { address: "::1", family: 6 } }],
    ["[0:0::1]:443", { name: "::1", port: 443, ip: { address: "::1", family: 6 } }],
    ["[::ffff:7f00:1]:443", { name: "127.0.0.1", port: 443, ip: { address: "127.0.0.1", family: 4 } }],
  ])("parses %s", (authority, expected) => {
    expect(parseTarget(authority)).toMatchObject(expected);
  });

  it("uses the scheme's default port when the authority has none (absolute-form)", () => {
    expect(parseTarget("example.com", 80)).toMatchObject({ port: 80 });
    expect(parseTarget("example.com:", 80)).toMatchObject({ port: 80 });
    expect(parseTarget("example.com")).toBeUndefined();
  });

  it.each(["example.com:0", "example.com:65536", "ex%61mple.com:443", "-bad.example:443", "a..b:443", "2130706433:443", "127.1:443", "0x7f.1:443", "1.2.3.0x10:443", "[v1.x]:443", "[fe80::1%eth0]:443", `${"a".repeat(254)}:443`])(
    "refuses %s",
    (authority) => {
      expect(parseTarget(authority)).toBeUndefined();
    },
  );

  it("matches allow patterns: *, *.suffix, exact names and addresses, ports and ranges", () => {
    const list = new AllowList(["*:443", "*.example.com:8000-8010", "exact.test:80", "[::1]:22", "127.0.0.1:*"]);
    const t = (a: string) => parseTarget(a) as NonNullable<ReturnType<typeof parseTarget>>;
    expect(list.matches(t("anything.at.all:443"))).toBe(true);
    expect(list.matches(t("anything.at.all:444"))).toBe(false);
    expect(list.matches(t("a.example.com:8005"))).toBe(true);
    expect(list.matches(t("A.B.EXAMPLE.COM.:8010"))).toBe(true);
    expect(list.matches(t("example.com:8005"))).toBe(false);
    expect(list.matches(t("evilexample.com:8005"))).toBe(false);
    expect(list.matches(t("a.example.com:8011"))).toBe(false);
    expect(list.matches(t("exact.test:80"))).toBe(true);
    expect(list.matches(t("sub.exact.test:80"))).toBe(false);
    expect(list.matches(t("[0::1]:22"))).toBe(true);
    expect(list.matches(t("127.0.0.1:1"))).toBe(true);
    expect(list.matches(t("127.0.0.2:1"))).toBe(false);
  });

  it.each(["*:0", "*:70000", "*:10-5", "[zz]:1"])("refuses the pattern %s when the plugin is applied", (pattern) => {
    expect(() => new AllowList([pattern])).toThrow(/allow/);
  });
});

describe("connect: the server's own listeners", () => {
  it("matches a listener by address and port, and a wildcard listener by any address of this host", () => {
    const listeners = new Listeners(() => [
      { address: "127.0.0.1", family: "IPv4", port: 8080 },
      { address: "::", family: "IPv6", port: 9090 },
    ]);
    expect(listeners.includes(ip("127.0.0.1"), 8080)).toBe(true);
    expect(listeners.includes(ip("::ffff:127.0.0.1"), 8080)).toBe(true);
    expect(listeners.includes(ip("127.0.0.1"), 8081)).toBe(false);
    expect(listeners.includes(ip("127.0.0.2"), 8080)).toBe(false);
    expect(listeners.includes(ip("127.0.0.1"), 9090)).toBe(true);
    expect(listeners.includes(ip("::1"), 9090)).toBe(true);
    expect(listeners.includes(ip("1.1.1.1"), 9090)).toBe(false);
  });

  it("skips listeners that are already closed (address() is null while the server stops)", () => {
    const listeners = new Listeners(() => [null, { address: "127.0.0.1", family: "IPv4", port: 8080 }]);
    expect(listeners.includes(ip("127.0.0.1"), 8080)).toBe(true);
    expect(listeners.includes(ip("127.0.0.1"), 1)).toBe(false);
  });
});
