// Custom error pages (like nginx's error_page): `errorPages: { "404": "/404.html" }` puts the
// file under the root in place of the short plain-text body of an error response — the core's
// own (nobody answered, 405, 500) and the plain-text ones plugins make with error(). A response
// a plugin gave a body of another type (JSON, HTML) is left alone: it was meant.
// The respond tap is synchronous (no promise on the hot path): pages are loaded when the
// server starts and re-checked in the background at most once a second.
import { readFile } from "node:fs/promises";
import path from "node:path";
import mime from "mime-types";
import type { Response } from "../../core/http/response.ts";
import type { Server } from "../../core/server.ts";
import { STAGE_LAST } from "../../core/stages.ts";
import { resolveExisting, type FilePolicy } from "../shared/files.ts";

interface Page {
  readonly body: Buffer;
  readonly contentType: string;
  readonly mtimeMs: number;
  readonly size: number;
}

const RECHECK_MS = 1000;

export function tapErrorPages(server: Server, pages: Readonly<Record<string, string | undefined>>, policy: FilePolicy): void {
  const byStatus = new Map<number, string>();
  for (const [status, urlPath] of Object.entries(pages)) if (urlPath !== undefined) byStatus.set(Number(status), urlPath);
  if (byStatus.size === 0) return;
  const loaded = new Map<string, Page>();
  const checkedAt = new Map<string, number>();

  const refresh = async (urlPath: string): Promise<void> => {
    checkedAt.set(urlPath, Date.now());
    const found = await resolveExisting(server.config.root, urlPath, policy);
    if (!found.ok || !found.stats.isFile()) {
      loaded.delete(urlPath);
      return;
    }
    const known = loaded.get(urlPath);
    if (known !== undefined && known.mtimeMs === found.stats.mtimeMs && known.size === found.stats.size) return;
    const type = mime.contentType(path.posix.basename(urlPath));
    loaded.set(urlPath, {
      body: await readFile(found.real),
      contentType: type === false ? "text/html; charset=utf-8" : type,
      mtimeMs: found.stats.mtimeMs,
      size: found.stats.size,
    });
  };
  const refreshQuietly = (urlPath: string): void => {
    refresh(urlPath).catch(() => loaded.delete(urlPath));
  };

  server.hooks.listening.tapPromise("get", async () => {
    await Promise.all([...new Set(byStatus.values())].map((urlPath) => refresh(urlPath).catch(() => undefined)));
  });

  server.hooks.respond.tap({ name: "get", stage: STAGE_LAST }, (response: Response) => {
    const urlPath = byStatus.get(response.status);
    if (urlPath === undefined || !isPlainErrorBody(response)) return response;
    if (Date.now() - (checkedAt.get(urlPath) ?? 0) >= RECHECK_MS) refreshQuietly(urlPath);
    const page = loaded.get(urlPath);
    if (page === undefined) return response;
    return { ...response, headers: { ...withoutBodyFields(response.headers), "content-type": page.contentType }, body: page.body };
  });
}

function isPlainErrorBody(response: Response): boolean {
  if (response.tunnel !== undefined) return false;
  const type = response.headers["content-type"];
  return response.body === undefined || (typeof type === "string" && type.startsWith("text/plain") && (typeof response.body === "string" || Buffer.isBuffer(response.body)));
}

function withoutBodyFields(headers: Response["headers"]): Response["headers"] {
  const out: Response["headers"] = {};
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (lower === "content-type" || lower === "content-length" || lower === "etag" || lower === "last-modified") continue;
    out[name] = headers[name] as string;
  }
  return out;
}
