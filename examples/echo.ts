// A custom plugin a user would write: answers the listed methods with the request's own body,
// streamed back as it arrives (the request body is a stream, and a stream is a valid
// response body). Run it with `npx plugd --config examples/echo.config.json`.
import { definePlugin, type Request, type Response } from "plugd";

interface EchoOptions {
  methods: string[];
}

export default definePlugin<EchoOptions>({
  name: "echo",
  schema: {
    type: "object",
    properties: {
      methods: {
        type: "array",
        items: { type: "string", pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
        default: ["GET", "POST", "PUT", "PATCH", "DELETE"],
        description: "Methods to answer. A method no plugin taps gets 501 from the core, so list any extension method (e.g. BREW) you want echoed.",
      },
    },
    required: ["methods"],
    additionalProperties: false,
  },
  apply(server, options) {
    const echo = (request: Request): Response => ({
      status: 200,
      headers: {
        "content-type": request.headers.get("content-type") ?? "application/octet-stream",
        "x-echo-method": request.method,
        // The length is known up front for Content-Length bodies: the response keeps it.
        ...(request.headers.has("content-length") ? { "content-length": request.headers.get("content-length") as string } : {}),
      },
      body: request.stream(),
    });
    for (const method of options.methods) server.hooks.handle.for(method).tap("echo", echo);
  },
});
