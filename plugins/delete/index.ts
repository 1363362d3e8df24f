// `delete`: DELETE removes a file or an empty folder under the root (RFC 9110 §9.3.5).
// 204 on success; 404 when nothing is there (or hidden: a dotfile while `dotfiles` is "deny"
// is 403, like every change to one); 403 for the root itself, a symlink, or when the OS refuses;
// 409 for a folder that is not empty (unless `recursive`); 412 for a failed If-Match,
// If-None-Match or If-Unmodified-Since. Tapped at STAGE_FALLBACK, like put.
import { filesChanged } from "../shared/changes.ts";
import { definePlugin } from "../../core/define-plugin.ts";
import { PlugdError } from "../../core/errors.ts";
import { empty, error as errorResponse } from "../../core/http/response.ts";
import { STAGE_FALLBACK } from "../../core/stages.ts";
import { declareMethod, methodNotAllowed } from "../options/allow.ts";
import { compilePathPatterns } from "../shared/path-pattern.ts";
import { hidesDotfile, resolveTarget, type FilePolicy } from "../shared/files.ts";
import type { DeleteOptions } from "./options.ts";
import { MISSING, removeEntry } from "./remove.ts";

export default definePlugin<DeleteOptions>({
  name: "delete",
  schema: "schemas/plugins/delete.schema.json",
  apply(server, options) {
    const policy: FilePolicy = { dotfiles: options.dotfiles, symlinks: "refuse" };
    const removeOptions = { recursive: options.recursive, keepDotfiles: options.dotfiles === "deny" };
    const inScope = compilePathPatterns(options.paths);

    declareMethod(server, "DELETE", (t) => inScope(t.path) && t.stats !== undefined && t.path !== "/" && !hidesDotfile(t.path, policy));

    server.hooks.handle.for("DELETE").tapPromise({ name: "delete", stage: STAGE_FALLBACK }, async (request) => {
      if (!inScope(request.path)) return methodNotAllowed(server, request.path, "DELETE", policy);
      const target = await resolveTarget(server.config.root, request.path, policy);
      if (!target.ok) {
        // 403: the root itself, a dotfile, a symlink, a parent outside the root.
        if (target.status === 403) throw new PlugdError("PLUGD_ERR_DELETE_FORBIDDEN", `DELETE refused (${target.reason})`);
        // 409 from resolveTarget means the parent folder is missing: then so is the target.
        return errorResponse(404);
      }
      if (target.stats === undefined) return errorResponse(404);
      const result = await removeEntry(request, target.file, request.path.endsWith("/"), removeOptions);
      if (result === MISSING) return errorResponse(404);
      filesChanged(server, request.path);
      return empty(204);
    });
  },
});
