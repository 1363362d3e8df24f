// The mixed traffic the log tests send: methods, statuses, requests the core rejects while
// parsing, and injection attempts (CR, LF, quotes, backslashes, control and high bytes in the
// target and in header values). Each entry is one request that must give one access log line.
import { rawExchange } from "../../helpers/server.ts";

export interface Sent {
  readonly name: string;
  readonly status: number;
}

const C = "Connection: close\r\n";

/** Raw requests, each on its own connection: [name, bytes]. */
export const RAW_REQUESTS: readonly (readonly [string, string | Buffer])[] = [
  ["get", `GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8\r\nReferer: http://example.com/start\r\n${C}\r\n`],
  ["not found", `GET /status/404 HTTP/1.1\r\nHost: a\r\n${C}\r\n`],
  ["redirect", `GET /status/302 HTTP/1.1\r\nHost: a\r\n${C}\r\n`],
  ["post", `POST /status/201 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n${C}\r\nhello`],
  ["head", `HEAD / HTTP/1.1\r\nHost: a\r\n${C}\r\n`],
  ["http/1.0", "GET /old HTTP/1.0\r\n\r\n"],
  ["405", `DELETE / HTTP/1.1\r\nHost: a\r\n${C}\r\n`],
  ["501", `BREW /pot HTTP/1.1\r\nHost: a\r\n${C}\r\n`],
  ["500", `GET /boom HTTP/1.1\r\nHost: a\r\n${C}\r\n`],
  ["user with a space", `GET /private HTTP/1.1\r\nHost: a\r\nX-Test-User: bob smith\r\n${C}\r\n`],
  ["quotes in headers", `GET /q HTTP/1.1\r\nHost: a\r\nUser-Agent: evil" 200 1 "-" "x\\"\r\nReferer: "\\\r\n${C}\r\n`],
  ["quote in target", `GET /a"b HTTP/1.1\r\nHost: a\r\n${C}\r\n`],
  ["obs-text in headers", Buffer.concat([Buffer.from("GET /h HTTP/1.1\r\nHost: a\r\nUser-Agent: caf\xe9 \x80\xff\r\n", "latin1"), Buffer.from(`${C}\r\n`)])],
  // Rejected by the core while parsing: each still gets exactly one access line.
  ["malformed header", `GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n`],
  ["garbage", "GARBAGE\r\n\r\n"],
  ["bare CR in the request line", "GET /a\rX: y HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["bare LF in the target", "GET /a\n127.0.0.1 - - [01/Jan/2000:00:00:00 +0000] \"GET /forged HTTP/1.1\" 200 1 \"-\" \"-\"\r\nHost: a\r\n\r\n"],
  ["bare CR in a header", "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: x\ry\r\n\r\n"],
  ["NUL in the target", "GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["version 2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"],
  ["secrets in a bad head", "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic c2VjcmV0\r\nCookie: sid=secret\r\nbroken\r\n\r\n"],
];

/** Sends every request in RAW_REQUESTS, one connection each; returns the statuses seen. */
export async function sendTraffic(port: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (const [name, bytes] of RAW_REQUESTS) {
    const answer = (await rawExchange(port, bytes)).toString("latin1");
    const m = /^HTTP\/1\.[01] (\d{3}) /.exec(answer);
    if (m === null) throw new Error(`no response to "${name}": ${JSON.stringify(answer)}`);
    sent.push({ name, status: Number(m[1]) });
  }
  return sent;
}
