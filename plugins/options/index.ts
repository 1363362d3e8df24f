// `options`: OPTIONS (RFC 9110 §9.3.7).
// `OPTIONS *` asks about the server: 200 with Allow listing every method some plugin handles
// (`server.methods`). `OPTIONS /path` asks about one target: 200 with Allow listing the methods
// that apply to it (./allow.ts: no PUT when put is off or would refuse the path, POST for a
// script a gateway registered, ...). A missing target is 404 unless some method other than
// OPTIONS could act on it: a PUT that would create it makes it 200 with "Allow: OPTIONS, PUT".
// Tapped at STAGE_FALLBACK so a plugin of a user's (CORS preflight, say) answers first.
// No body: `Content-Length: 0` (RFC 9110 §9.3.7: a server must send it when there is no content).
import { definePlugin } from "../../core/define-plugin.ts";
import { empty, error as errorResponse } from "../../core/http/response.ts";
import { STAGE_FALLBACK } from "../../core/stages.ts";
import type { FilePolicy } from "../shared/files.ts";
import { allowedFor } from "./allow.ts";
import type { OptionsOptions } from "./options.ts";

export default definePlugin<OptionsOptions>({
  name: "options",
  schema: "schemas/plugins/options.schema.json",
  apply(server, options) {
    const policy: FilePolicy = { dotfiles: options.dotfiles, symlinks: "inside" };
    server.hooks.handle.for("OPTIONS").tapPromise({ name: "options", stage: STAGE_FALLBACK }, async (request) => {
      if (request.path === "*") return empty(200, { allow: server.methods.join(", ") });
      const allowed = await allowedFor(server, request.path, policy);
      if (!allowed.found) return errorResponse(404);
      return empty(200, { allow: allowed.methods.join(", ") });
    });
  },
});
