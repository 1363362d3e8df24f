// Generated from schemas/plugins/connect.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * A CONNECT tunnel proxy (RFC 9110 §9.3.6), closed to abuse by default: only targets on the allow-list, every resolved address checked and the checked address dialled; loopback, private, link-local, multicast and reserved addresses and this server's own listeners refused (403). DNS failure or refused connection: 502; connect timeout: 504; too many tunnels: 503; too many from one client: 429. Absolute-form requests naming another host get 403 unless forwardHttp is on. Proxy credentials (407) are the auth plugin's `proxy` option.
 */
export interface ConnectOptions {
/**
 * The targets a client may ask for, as "host:port" patterns, matched against the name or address the client sent (case-insensitive, one trailing dot ignored). host: "*" (any), "*.example.com" (any name under example.com, not example.com itself), a name, an IPv4 address or an [IPv6] address. port: a number, a range "8000-8999" or "*" (1-65535). The default allows port 443 on any host. Forwarded plain HTTP (forwardHttp) goes through the same list: add "*:80" for it. Passing the list is not enough: every address the name resolves to must also be allowed (see allowAddresses).
 */
allow: string[]
/**
 * Addresses that are refused by default but allowed here, in CIDR ("127.0.0.1/32", "10.0.0.0/8", "fd00::/8"; a bare address means just that one). Refused by default: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4, 240/4, ::, ::1, IPv4-compatible ::/96, fc00::/7, fe80::/10, fec0::/10, ff00::/8, Teredo 2001::/32, 64:ff9b:1::/48, and IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses whose embedded IPv4 address is refused. An IPv6 range here that covers ::ffff:0:0/96 ("::/0") also allows the IPv4 addresses it maps. The server's own listeners are refused whatever this says.
 */
allowAddresses: string[]
/**
 * Time to resolve the name and open the connection to the target, in milliseconds; past it the client gets 504.
 */
connectTimeoutMs: number
/**
 * A tunnel (or a forwarded request) with no bytes moving either way for this long is closed, both sides, in milliseconds.
 */
idleTimeoutMs: number
/**
 * Tunnels and forwarded requests open at once on this server, counted from the CONNECT to the close; past it new ones get 503.
 */
maxTunnels: number
/**
 * Tunnels and forwarded requests open at once from one client address (IPv6 clients counted per /64); past it new ones get 429.
 */
maxTunnelsPerClient: number
/**
 * Forward plain-HTTP absolute-form requests (GET http://host/path, as `curl -x` sends) to other hosts, under the same allow-list and address rules, with hop-by-hop fields removed and Via added. The methods forwarded are GET, HEAD, POST, PUT, DELETE, OPTIONS and PATCH (not TRACE); with this on, the server handles those methods, so a local request with one of them that no other plugin answers gets 404 rather than 405. false: absolute-form requests to other hosts get 403.
 */
forwardHttp: boolean
/**
 * Host names that mean this server in an absolute-form request-target (on the port the request came in on), besides its listen addresses, the address the connection came in on, and localhost on a loopback listener. Such requests are served as ordinary requests, never forwarded.
 */
serverNames: string[]
}
