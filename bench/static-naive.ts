// The naive node:http static file server of the "static" bench group: what a Node program
// serving files without a framework typically does, stat + createReadStream per request.
// `node --import tsx bench/static-naive.ts ROOT`; prints "naive static listening on http://HOST:PORT".
import { createReadStream, stat } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? ".");

const server = http.createServer((req, res) => {
  const urlPath = decodeURIComponent((req.url ?? "/").split("?")[0] as string);
  const file = path.join(root, path.normalize(urlPath));
  if (!file.startsWith(root + path.sep)) {
    res.writeHead(404).end();
    return;
  }
  stat(file, (err, st) => {
    if (err !== null || !st.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": st.size,
      "last-modified": st.mtime.toUTCString(),
    });
    createReadStream(file).pipe(res);
  });
});
server.listen({ host: "127.0.0.1", port: 0, backlog: 2048 }, () => {
  const a = server.address() as AddressInfo;
  process.stdout.write(`naive static listening on http://${a.address}:${a.port}\n`);
});

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
