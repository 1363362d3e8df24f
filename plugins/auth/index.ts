// auth: HTTP Basic authentication (RFC 7617) for protected paths, with users from an Apache
// htpasswd file; optionally proxy credentials for the connect plugin. See
// schemas/plugins/auth.schema.json for the options and docs/design.md §8 for the defaults.
import { relative, resolve, isAbsolute } from "node:path";
import { definePlugin } from "../../core/define-plugin.ts";
import type { Server } from "../../core/server.ts";
import { errorLog } from "../log/index.ts";
import { Gate } from "./gate.ts";
import type { AuthOptions } from "./options.ts";
import { compileRules } from "./rules.ts";
import { Throttle } from "./throttle.ts";
import { UsersFile } from "./users-file.ts";
import { Verifier } from "./verify.ts";

/** What a running auth plugin exposes: for tests, and for tools that want to watch it. */
export interface AuthHandle {
  /** Absolute path of the users file. */
  readonly file: string;
  /** Emits "reload" (new users in use) and "failed" (a bad version, last good users kept). */
  readonly users: UsersFile;
  /** Its `stats` count hashes run and cache hits. */
  readonly verifier: Verifier;
  readonly throttle: Throttle;
}

const handles = new WeakMap<Server, AuthHandle>();

/** The auth plugin's state on `server`, or undefined when it is not enabled there. */
export function authOf(server: Server): AuthHandle | undefined {
  return handles.get(server);
}

/**
 * Where the users file is: an absolute path as is; a relative one against `server.config.base`,
 * the config file's folder (as `root` and `module` resolve), so the default "users.htpasswd"
 * sits beside server.config.json, outside the usual "./public" web root.
 */
export function usersFilePath(base: string, users: string): string {
  return isAbsolute(users) ? users : resolve(base, users);
}

export default definePlugin<AuthOptions>({
  name: "auth",
  schema: "schemas/plugins/auth.schema.json",
  apply(server, options) {
    const file = usersFilePath(server.config.base, options.users);
    const verifier = new Verifier(options.cacheSize);
    const users = new UsersFile(file, (table) => verifier.prepare(table));
    const throttle = new Throttle(options.throttle.maxFailures, options.throttle.windowSeconds);
    const gate = new Gate({ rules: compileRules(options.protect), realm: options.realm, proxy: options.proxy, users, verifier, throttle });
    handles.set(server, { file, users, verifier, throttle });

    // The log plugin's error log when it runs on this server, else one line to stderr. The error
    // names the file and line, never the line's content (it may hold a password).
    const log = errorLog(server);
    users.on("failed", (err) => {
      log.write("error", `auth: ${err.message}; keeping the last good users`, { code: err.code, plugin: "auth" });
    });

    server.hooks.listening.tapPromise("auth", async () => {
      await users.load();
      users.watch();
      const inRoot = relative(server.config.root, file);
      if (!inRoot.startsWith("..") && !isAbsolute(inRoot)) {
        log.write("warn", `auth: the users file ${file} is inside the web root; a file handler may serve it`, { plugin: "auth" });
      }
    });
    server.hooks.close.tap("auth", () => users.close());
    server.hooks.authorize.tapPromise("auth", (request) => gate.check(request));
  },
});
