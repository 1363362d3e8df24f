// `post`: the POST gate and fallback. POST is answered by gateways (php-cgi taps
// handle.for("POST") at STAGE_GATEWAY); this plugin makes sure a POST is well-formed before any
// of them runs (411/400/415; the core answers 413 for a body over limits.maxBodyBytes, and a
// chunked body that grows past it reaches the gateway reading it as an error with status 413),
// and answers the POSTs no gateway took: 405 with Allow for a target that exists (a static file
// cannot take a POST), 404 for nothing.
import { definePlugin } from "../../core/define-plugin.ts";
import { error as errorResponse } from "../../core/http/response.ts";
import { STAGE_FALLBACK, STAGE_GATE } from "../../core/stages.ts";
import { allowedFor } from "../options/allow.ts";
import { DEFAULT_FILE_POLICY } from "../shared/files.ts";
import { checkPost } from "./gate.ts";
import type { PostOptions } from "./options.ts";

export default definePlugin<PostOptions>({
  name: "post",
  schema: "schemas/plugins/post.schema.json",
  apply(server, options) {
    server.hooks.onParsed.tap({ name: "post", stage: STAGE_GATE }, (request) => {
      checkPost(request, options);
      return undefined;
    });

    server.hooks.handle.for("POST").tapPromise({ name: "post", stage: STAGE_FALLBACK }, async (request) => {
      const allowed = await allowedFor(server, request.path, DEFAULT_FILE_POLICY);
      if (!allowed.exists) return errorResponse(404);
      // RFC 9110 §15.5.6: a 405 lists what the target does support; POST was just refused.
      return errorResponse(405, undefined, { allow: allowed.methods.filter((m) => m !== "POST").join(", ") });
    });
  },
});
