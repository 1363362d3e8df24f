// Helpers for the method plugins' tests (put, post, delete, options): a throwaway web root,
// curl as the client, and a log tap to wait on (the `log` hook fires once the server is done
// with a request, including one whose client went away).
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { definePlugin } from "../../../core/define-plugin.ts";
import type { RequestInfo } from "../../../core/http/request.ts";
import type { Response } from "../../../core/http/response.ts";
import type { Timing } from "../../../core/http/lifecycle-types.ts";

export interface CurlResult {
  readonly status: number;
  /** Lower-cased names; the last response's (interim 100s skipped). */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The whole output with headers, for messages. */
  readonly raw: string;
}

/** Runs curl with `args` (plus -sS -i) and parses the final response. */
export function curl(...args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "-i", "--max-time", "15", ...args], { encoding: "latin1", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && stdout === "") return reject(new Error(`curl ${args.join(" ")} failed: ${stderr}`));
      let rest = stdout;
      while (/^HTTP\/1\.[01] 1\d\d /.test(rest)) rest = rest.slice(rest.indexOf("\r\n\r\n") + 4);
      const end = rest.indexOf("\r\n\r\n");
      const head = rest.slice(0, end).split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1]);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status, headers, body: rest.slice(end + 4), raw: stdout });
    });
  });
}

/** A fresh folder to serve; remove it with `rm(root, { recursive: true, force: true })`. */
export function tempRoot(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `plugd-${prefix}-`));
}

export async function removeRoot(root: string | undefined): Promise<void> {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
}

/** Names in `folder` that look like put's temp files. */
export async function tempFiles(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((n) => n.startsWith(".plugd-put-"));
}

export interface Logged {
  readonly info: RequestInfo;
  readonly response: Response;
  readonly timing: Timing;
}

/** A plugin that records every finished request; `next(pred)` resolves with the first match. */
export function logWaiter() {
  const seen: Logged[] = [];
  const waiting: { pred: (l: Logged) => boolean; resolve: (l: Logged) => void }[] = [];
  const plugin = definePlugin({
    name: "test-log-waiter",
    apply(server) {
      server.hooks.log.tap("test-log-waiter", (info, response, timing) => {
        const entry = { info, response, timing };
        seen.push(entry);
        for (let i = waiting.length - 1; i >= 0; i--) {
          const w = waiting[i];
          if (w !== undefined && w.pred(entry)) {
            waiting.splice(i, 1);
            w.resolve(entry);
          }
        }
      });
    },
  });
  return {
    plugin,
    seen,
    /** Resolves with the first logged request (already seen or to come) that matches. */
    next(pred: (l: Logged) => boolean): Promise<Logged> {
      const found = seen.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiting.push({ pred, resolve }));
    },
  };
}
