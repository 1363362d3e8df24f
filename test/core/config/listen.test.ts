import { describe, expect, it } from "vitest";
import { listenKey, parseListenAddress } from "../../../core/config/listen.ts";

describe("parseListenAddress", () => {
  it.each([
    ["127.0.0.1:8080", "127.0.0.1", 8080],
    ["0.0.0.0:0", "0.0.0.0", 0],
    ["localhost:65535", "localhost", 65535],
    ["example.com.:80", "example.com.", 80],
    ["[::1]:8080", "::1", 8080],
    ["[::]:443", "::", 443],
    ["[fe80::1%eth0]:80", "fe80::1%eth0", 80],
  ])("accepts %s", (text, host, port) => {
    expect(parseListenAddress(text)).toEqual({ ok: true, address: { text, host, port } });
  });

  it.each([
    "8080",
    "127.0.0.1",
    "127.0.0.1:",
    "127.0.0.1:-1",
    "127.0.0.1:+80",
    "127.0.0.1:80 ",
    "127.0.0.1:0x50",
    "127.0.0.1:65536",
    "127.0.0.1:123456",
    "1.2.3:80",
    "01.2.3.4:80",
    ":80",
    "*:80",
    "::1:80",
    "[::1]",
    "[::1]80",
    "[::1:80",
    "[127.0.0.1]:80",
    "-bad.example:80",
    "under_score:80",
    "a b:80",
    "",
  ])("rejects %j", (text) => {
    const parsed = parseListenAddress(text);
    expect(parsed.ok).toBe(false);
  });
});

describe("listenKey", () => {
  const key = (text: string) => {
    const parsed = parseListenAddress(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    return listenKey(parsed.address);
  };

  it("is equal for the same socket written differently", () => {
    expect(key("[0:0:0:0:0:0:0:1]:80")).toBe(key("[::1]:80"));
    expect(key("[2001:DB8::1]:80")).toBe(key("[2001:db8:0::1]:80"));
    expect(key("LocalHost.:80")).toBe(key("localhost:80"));
  });

  it("differs by port and by host", () => {
    expect(key("127.0.0.1:80")).not.toBe(key("127.0.0.1:81"));
    expect(key("127.0.0.1:80")).not.toBe(key("0.0.0.0:80"));
  });
});
