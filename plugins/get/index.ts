// The get plugin: GET and HEAD for files under the server's root (options, statuses and choices: README.md).
// A production static file server: index files, 301 to a folder's slash form, Content-Type,
// strong validators and conditional requests (RFC 9110 §13), byte ranges (§14),
// precompressed siblings, optional listings, dotfiles and symlinks by policy, Cache-Control by
// path pattern, and an in-memory cache of small files whose hit costs no I/O.
import { definePlugin } from "../../core/define-plugin.ts";
import type { Server } from "../../core/server.ts";
import { STAGE_FALLBACK } from "../../core/stages.ts";
import { onFilesChanged } from "../shared/changes.ts";
import { tapErrorPages } from "./error-pages.ts";
import { StaticFiles } from "./handler.ts";
import { setBaseIndexFiles } from "./index-files.ts";
import type { GetOptions } from "./options.ts";

export { addIndexFiles, indexFiles, type AddIndexOptions } from "./index-files.ts";
export type { GetOptions } from "./options.ts";

const instances = new WeakMap<Server, StaticFiles>();

/** What the small-file cache of `server` holds now (diagnostics and tests); undefined without get. */
export function cacheStats(server: Server): { entries: number; bytes: number } | undefined {
  const files = instances.get(server);
  return files === undefined ? undefined : { entries: files.cache.size, bytes: files.cache.bytes };
}

export default definePlugin<GetOptions>({
  name: "get",
  schema: "schemas/plugins/get.schema.json",
  apply(server, options) {
    setBaseIndexFiles(server, options.index);
    const files = new StaticFiles(server, options);
    instances.set(server, files);
    // A PUT or DELETE through plugd is seen at once; a change made behind plugd's back is
    // seen within cache.revalidateMs. Any change may affect an index or a listing: drop all.
    onFilesChanged(server, () => files.cache.clear());
    server.hooks.listening.tap("get", () => files.start());
    tapErrorPages(server, options.errorPages, { dotfiles: options.dotfiles, symlinks: options.symlinks });
    server.hooks.close.tap("get", () => files.stop());
    for (const method of ["GET", "HEAD"]) {
      const hook = server.hooks.handle.for(method);
      // Static files answer only when no gateway or other handler did (STAGE_FALLBACK). The
      // synchronous cache hit comes first so a hit allocates no promise (DESIGN §2).
      hook.tap({ name: "get", stage: STAGE_FALLBACK }, files.hit);
      hook.tapPromise({ name: "get", stage: STAGE_FALLBACK }, files.serve);
    }
  },
});
