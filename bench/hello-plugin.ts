// The plugd side of the "hello" benchmark: GET answers 200 text/plain "hello world\n" from a
// synchronous tap (DESIGN §2: a tap that does no I/O uses `tap`, so the request allocates no
// promise). Loaded by the CLI through `module` in bench/hello.config.json.
import { definePlugin } from "../core/define-plugin.ts";
import { text } from "../core/http/response.ts";

export const HELLO_BODY = "hello world\n";

export default definePlugin({
  name: "hello",
  apply(server) {
    server.hooks.handle.for("GET").tap("hello", () => text(HELLO_BODY));
  },
});
