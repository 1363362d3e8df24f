// Shared pieces of the auth tests: a handler that shows what auth decided, a CONNECT answerer,
// htpasswd files made by Apache's own htpasswd, and curl.
import { execFile } from "node:child_process";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { definePlugin } from "../../../core/define-plugin.ts";
import { text } from "../../../core/http/response.ts";
import type { Server } from "../../../core/server.ts";
import type { StoredHash, UserTable } from "../../../plugins/auth/htpasswd.ts";
import auth, { authOf, type AuthHandle } from "../../../plugins/auth/index.ts";
import { startServer, type TestServer } from "../../helpers/server.ts";

const run = promisify(execFile);

/** Answers GET/HEAD/PUT/DELETE with 200 "METHOD PATH USER AUTHTYPE" (USER "-" when none). */
export const echo = definePlugin({
  name: "echo",
  apply(server) {
    for (const method of ["GET", "HEAD", "PUT", "DELETE"]) {
      server.hooks.handle.for(method).tap("echo", (request) => text(`${request.method} ${request.path} ${request.user?.name ?? "-"} ${request.user?.authType ?? "-"}\n`));
    }
  },
});

/** Answers CONNECT with 200 and no tunnel: enough to see whether auth let it through. */
export const connectOk = definePlugin({
  name: "connect-ok",
  apply(server) {
    server.hooks.handle.for("CONNECT").tap("connect-ok", (request) => text(`CONNECT ${request.authority} ${request.user?.name ?? "-"}\n`));
  },
});

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "plugd-auth-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs Apache's htpasswd: `htpasswd FLAGS -b [-c] FILE USER PASSWORD`. */
export async function htpasswd(file: string, flag: "-B" | "-m" | "-s", user: string, password: string, create = false): Promise<void> {
  const args = [flag, "-b", ...(flag === "-B" ? ["-C", "4"] : []), ...(create ? ["-c"] : []), file, user, password];
  await run("htpasswd", args);
}

export interface CurlResult {
  readonly status: number;
  readonly body: string;
  readonly headers: string;
}

/** curl URL [-u user:pass] [extra args]; status, body and response headers. */
export async function curl(url: string, options: { user?: string; args?: string[] } = {}): Promise<CurlResult> {
  const args = ["-s", "-S", "-D", "-", "--max-time", "10", ...(options.user !== undefined ? ["-u", options.user] : []), ...(options.args ?? []), url];
  const { stdout } = await run("curl", args, { encoding: "buffer", maxBuffer: 1 << 20 });
  const textOut = stdout.toString("utf8");
  const split = textOut.indexOf("\r\n\r\n");
  const headers = textOut.slice(0, split);
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(headers)?.[1]);
  return { status, headers, body: textOut.slice(split + 4) };
}

/** `Authorization: Basic ...` value for user:password (UTF-8). */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

/** A server with the echo handler and auth; the users file is made by the caller. */
export async function authServer(options: Record<string, unknown>, extra: { root?: string; base?: string; connect?: boolean } = {}): Promise<TestServer & { auth: AuthHandle }> {
  const plugins: [typeof auth | typeof echo, Record<string, unknown>][] = [
    [auth, options],
    [echo, {}],
  ];
  if (extra.connect === true) plugins.push([connectOk, {}]);
  const started = await startServer({ ...(extra.root !== undefined ? { root: extra.root } : {}), ...(extra.base !== undefined ? { base: extra.base } : {}), plugins });
  return { ...started, auth: handleOf(started.server) };
}

export function handleOf(server: Server): AuthHandle {
  const handle = authOf(server);
  if (handle === undefined) throw new Error("auth is not enabled on this server");
  return handle;
}

/** Resolves once the users in use satisfy `test`, checking on each "reload" of the users file. */
export function untilUsers(handle: AuthHandle, test: (users: ReadonlyMap<string, StoredHash>) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (test(handle.users.table.users)) return resolve();
    const onReload = (table: UserTable): void => {
      if (!test(table.users)) return;
      handle.users.off("reload", onReload);
      resolve();
    };
    handle.users.on("reload", onReload);
  });
}

/** Writes a file the way careful editors and `plugd passwd` do: a temp file renamed over it. */
export function replaceFile(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** Resolves with the error of the next "failed" (rejects if a reload succeeds instead). */
export function nextFailure(handle: AuthHandle): Promise<Error> {
  return new Promise((resolve, reject) => {
    const bad = (err: Error): void => {
      handle.users.off("reload", ok);
      resolve(err);
    };
    const ok = (): void => {
      handle.users.off("failed", bad);
      reject(new Error("the users file reloaded instead of failing"));
    };
    handle.users.once("reload", ok);
    handle.users.once("failed", bad);
  });
}
