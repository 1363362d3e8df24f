// Folder listings (off by default): HTML, or JSON when the client asks for application/json.
// Entries pass the same checks as a request for them would (plugins/shared/files.ts): dotfiles
// (when hidden), symlinks that leave the root and refused symlinks are not listed.
import { readdir } from "node:fs/promises";
import type { Response } from "../../core/http/response.ts";
import { hidesDotfile, resolveExisting, type FilePolicy } from "../shared/files.ts";

export interface ListingEntry {
  readonly name: string;
  readonly type: "file" | "directory";
  readonly size: number;
  /** ISO 8601, UTC. */
  readonly modified: string;
}

/** Checks run at most this many at a time, so a huge folder cannot flood the thread pool. */
const BATCH = 64;

export async function listFolder(root: string, urlPath: string, real: string, policy: FilePolicy): Promise<ListingEntry[]> {
  const names = (await readdir(real)).filter((name) => !hidesDotfile(`/${name}`, policy));
  const entries: ListingEntry[] = [];
  for (let i = 0; i < names.length; i += BATCH) {
    const batch = await Promise.all(
      names.slice(i, i + BATCH).map(async (name): Promise<ListingEntry | undefined> => {
        const r = await resolveExisting(root, urlPath + name, policy);
        if (!r.ok) return undefined;
        const dir = r.stats.isDirectory();
        if (!dir && !r.stats.isFile()) return undefined;
        return { name, type: dir ? "directory" : "file", size: dir ? 0 : r.stats.size, modified: r.stats.mtime.toISOString() };
      }),
    );
    for (const e of batch) if (e !== undefined) entries.push(e);
  }
  // Folders first, then by name (code unit order: stable across locales).
  return entries.sort((a, b) => (a.type !== b.type ? (a.type === "directory" ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * JSON when Accept lists application/json with a q-value above 0 and not below text/html's
 * (RFC 9110 §12.5.1); otherwise HTML. `*\/*` alone (curl's default) gets HTML.
 */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let json = 0;
  let html = -1;
  for (const element of accept.split(",")) {
    const [range, ...params] = element.split(";");
    const type = (range as string).trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
      if (m !== null) q = Number(m[1]);
    }
    if (type === "application/json") json = Math.max(json, q);
    else if (type === "text/html") html = Math.max(html, q);
  }
  return json > 0 && json >= html;
}

const HEADERS_COMMON = {
  // The listing depends on Accept (RFC 9110 §12.5.5).
  vary: "accept",
  // Names come from the file system: even escaped, allow nothing active in the page.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  "x-content-type-options": "nosniff",
};

export function listingResponse(urlPath: string, entries: readonly ListingEntry[], json: boolean, cacheControl: string | undefined): Response {
  const headers: Record<string, string> = { ...HEADERS_COMMON };
  if (cacheControl !== undefined) headers["cache-control"] = cacheControl;
  if (json) {
    headers["content-type"] = "application/json; charset=utf-8";
    return { status: 200, headers, body: JSON.stringify({ path: urlPath, entries }) };
  }
  headers["content-type"] = "text/html; charset=utf-8";
  const title = escapeHtml(`Index of ${urlPath}`);
  const rows = entries.map((e) => {
    const slash = e.type === "directory" ? "/" : "";
    // The name is a path segment in the link (percent-encoded) and text in the page (escaped).
    const href = escapeHtml(encodeURIComponent(e.name) + slash);
    const size = e.type === "directory" ? "-" : String(e.size);
    return `<tr><td><a href="${href}">${escapeHtml(e.name + slash)}</a></td><td class="s">${size}</td><td>${e.modified}</td></tr>`;
  });
  const up = urlPath === "/" ? "" : `<tr><td><a href="../">../</a></td><td class="s">-</td><td></td></tr>\n`;
  const body =
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title>\n` +
    `<style>body{font-family:system-ui,sans-serif;margin:2em}th,td{padding:0 1.5em 0 0;text-align:left}td.s{text-align:right}</style></head>\n` +
    `<body><h1>${title}</h1>\n<table><thead><tr><th>Name</th><th>Size</th><th>Modified</th></tr></thead><tbody>\n` +
    up +
    rows.join("\n") +
    `\n</tbody></table></body></html>\n`;
  return { status: 200, headers, body };
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}
