// A custom method plugin: WebDAV's MKCOL (RFC 4918 §9.3), "make collection" — a folder.
// Run it with `npx plugd --config examples/webdav.config.json` (with get, put, delete, options).
import { mkdir } from "node:fs/promises";
import { definePlugin, empty, error, type Request, type Response } from "plugd";
import { filesChanged } from "../plugins/shared/changes.ts";
import { resolveTarget } from "../plugins/shared/files.ts";

export default definePlugin({
  name: "mkcol",
  apply(server) {
    server.hooks.handle.for("MKCOL").tapPromise("mkcol", async (request) => {
      const response = await makeCollection(server.config.root, request);
      // A new folder changes its parent's listing: tell plugins that remember files.
      if (response.status === 201) filesChanged(server, request.path);
      return response;
    });
    // RFC 4918 §10.1: WebDAV clients look for a DAV header on OPTIONS. This example says "1"
    // so the basic and http groups of litmus run; it implements MKCOL only (with get, put,
    // delete), not PROPFIND or locks, so litmus's props and locks groups are out of scope.
    server.hooks.respond.tap("mkcol", (response, request) =>
      request.method === "OPTIONS" && response.status < 300 ? { ...response, headers: { ...response.headers, dav: "1" } } : response,
    );
  },
});

async function makeCollection(root: string, request: Request): Promise<Response> {
  // RFC 4918 §9.3: a body we do not understand -> 415.
  if (request.hasBody) return error(415, "MKCOL with a body is not supported");
  const target = await resolveTarget(root, request.path);
  if (!target.ok) {
    // RFC 4918 §9.3.1: 409 when an intermediate collection is missing.
    return error(target.status, target.status === 409 ? "the parent collection does not exist" : undefined);
  }
  // RFC 4918 §9.3.1: 405 when something already exists there.
  if (target.stats !== undefined) return error(405, "already exists", { allow: "GET, HEAD, OPTIONS, PUT, DELETE" });
  try {
    await mkdir(target.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return error(405, "already exists");
    if (code === "ENOENT" || code === "ENOTDIR") return error(409, "the parent collection does not exist");
    if (code === "EACCES" || code === "EPERM") return error(403);
    if (code === "ENOSPC" || code === "EDQUOT") return error(507);
    throw err;
  }
  const location = request.path.endsWith("/") ? request.path : `${request.path}/`;
  return empty(201, { location });
}
