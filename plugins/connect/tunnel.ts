// The tunnel: bytes both ways between the client's socket and the target's, with
// backpressure, half-close passed on, an idle timeout, and a count for the access log.
import type { Socket } from "node:net";
import { pumpFromUpstream, type UpstreamReads } from "./upstream-reads.ts";

export interface TunnelStats {
  bytesUp: number;
  bytesDown: number;
}

/**
 * Moves the client's bytes to the target: pauses `from` while `to` is full, resumes it on drain,
 * and ends `to` when `from` ends (a half-close, RFC 9110 §9.3.6: the other direction goes on).
 */
function pump(from: Socket, to: Socket, count: (n: number) => void): void {
  from.on("data", (chunk: Buffer) => {
    count(chunk.length);
    if (!to.write(chunk)) from.pause();
  });
  to.on("drain", () => from.resume());
  from.on("end", () => to.end());
}

/**
 * Runs a tunnel between `client` (the socket the core handed over, paused, after the 200 head)
 * and `upstream` (connected, allowHalfOpen, reading into `reads`). `head` is what the client
 * sent after the CONNECT head; it goes first. `closed` is called once, when both sockets have closed.
 */
export function runTunnel(client: Socket, upstream: Socket, reads: UpstreamReads, head: Buffer, idleTimeoutMs: number, closed: (stats: TunnelStats) => void): void {
  const stats: TunnelStats = { bytesUp: 0, bytesDown: 0 };
  // The listener was made with allowHalfOpen false: Node would end our side as soon as the
  // client half-closes, and the answer to a request sent before the client's FIN would be lost.
  client.allowHalfOpen = true;
  upstream.setTimeout(0);
  if (head.length > 0) {
    stats.bytesUp += head.length;
    upstream.write(head);
  }
  pump(client, upstream, (n) => (stats.bytesUp += n));
  pumpFromUpstream(upstream, reads, client, (n) => (stats.bytesDown += n));
  // Every byte either way is read or written on the client's socket: its timer is the tunnel's.
  client.setTimeout(idleTimeoutMs, () => {
    client.destroy();
    upstream.destroy();
  });

  let open = 2;
  const onClose = (self: Socket, other: Socket): void => {
    // A socket that closed without a clean end of its input (reset, error, timeout) takes the
    // other with it; after a clean end the other side is only ended, so what it still has to
    // write is not cut off.
    if (!self.readableEnded) other.destroy();
    if (--open === 0) closed(stats);
  };
  client.on("error", () => client.destroy());
  upstream.on("error", () => upstream.destroy());
  client.on("close", () => onClose(client, upstream));
  upstream.on("close", () => onClose(upstream, client));
  // Either side may have gone before the tunnel started (while the 200 was being written): its
  // 'close' has been and gone.
  if (upstream.closed) onClose(upstream, client);
  if (client.closed) onClose(client, upstream);
  else client.resume();
}
