// `put`: PUT writes the request body to root + path (RFC 9110 §9.3.4).
// 201 with Location for a new file, 204 for a replaced one, both with the new ETag (the body is
// stored without transformation, so the validator is the one `get` will send).
// Refusals, all decided before the body is read: 400 Content-Range, 411 no framing, 415 a
// Content-Encoding, 403 a script / dotfile / symlink / the root, 409 a missing parent (unless
// createDirs) or a folder, 412 a failed If-Match / If-None-Match / If-Unmodified-Since.
// While writing: 507 when the disk is full; 413 (from the core) when a chunked body passes
// limits.maxBodyBytes. The write is atomic (./write.ts).
// Tapped at STAGE_FALLBACK: it answers every PUT, so a plugin that wants some paths
// (a gateway, a user's upload handler) taps at a lower stage and answers first.
import { filesChanged } from "../shared/changes.ts";
import { definePlugin } from "../../core/define-plugin.ts";
import { empty } from "../../core/http/response.ts";
import { STAGE_FALLBACK } from "../../core/stages.ts";
import { declareMethod, methodNotAllowed } from "../options/allow.ts";
import { compilePathPatterns } from "../shared/path-pattern.ts";
import { fileETag, preconditionsPass } from "../shared/etag.ts";
import { hidesDotfile, type FilePolicy } from "../shared/files.ts";
import type { PutOptions } from "./options.ts";
import { checkHead, fail, ownScriptExtensions, putTarget, scriptIn } from "./target.ts";
import { writeAtomically } from "./write.ts";

/** The request path as a URI path again, for Location (RFC 9110 §10.2.2). */
function encodePath(urlPath: string): string {
  return urlPath.split("/").map(encodeURIComponent).join("/");
}

export default definePlugin<PutOptions>({
  name: "put",
  schema: "schemas/plugins/put.schema.json",
  apply(server, options) {
    const own = ownScriptExtensions(options);
    const inScope = compilePathPatterns(options.paths);
    const policy: FilePolicy = { dotfiles: options.dotfiles, symlinks: "inside" };

    declareMethod(server, "PUT", (t) => {
      if (!inScope(t.path) || t.path === "/" || hidesDotfile(t.path, policy) || scriptIn(server, t.path, own, options) !== undefined) return false;
      return t.stats === undefined ? t.parentExists || options.createDirs : t.stats.isFile();
    });

    server.hooks.handle.for("PUT").tapPromise({ name: "put", stage: STAGE_FALLBACK }, async (request) => {
      if (!inScope(request.path)) return methodNotAllowed(server, request.path, "PUT", policy);
      checkHead(request);
      // DESIGN §8: never create what a gateway would execute; checked on the request path,
      // before anything touches the disk.
      const script = scriptIn(server, request.path, own, options);
      if (script !== undefined) throw fail("PLUGD_ERR_PUT_SCRIPT", `PUT may not create ${script} files`);
      const target = await putTarget(server.config.root, request.path, policy, options.createDirs);
      // Checked before the upload too, so a 412 costs no body; checked again at the rename.
      if (!preconditionsPass(request.headers, target.stats)) throw fail("PLUGD_ERR_PUT_PRECONDITION_FAILED", "precondition failed");
      const written = await writeAtomically(request, target, options.fsync);
      const etag = fileETag(written.stats);
      // RFC 9110 §9.3.4: 201 when the file was created, 204 when it was replaced.
      filesChanged(server, request.path);
      return written.created ? empty(201, { location: encodePath(request.path), etag }) : empty(204, { etag });
    });
  },
});
