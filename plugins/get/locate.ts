// From a request path to what GET serves: a file (with its precompressed siblings), a folder
// to redirect to its slash form or to list, or nothing. Every file system check goes through
// plugins/shared/files.ts (root containment, symlink policy, dotfiles).
import type { Stats } from "node:fs";
import { resolveExisting, type FilePolicy } from "../shared/files.ts";
import { SUFFIX, type Coding } from "./encoding.ts";

export interface FoundPart {
  /** undefined for the file itself. */
  readonly coding: Coding | undefined;
  /** Symlinks resolved; what is opened. */
  readonly real: string;
  readonly stats: Stats;
}

export interface FoundFile {
  readonly kind: "file";
  /** The file's URL path: the request path, or for a folder the folder's path + the index name. */
  readonly urlPath: string;
  readonly identity: FoundPart;
  /** Precompressed siblings that exist, in the server's order of preference. */
  readonly siblings: readonly FoundPart[];
}

export type Located =
  | FoundFile
  /** A folder asked for without its trailing slash. */
  | { readonly kind: "redirect" }
  /** A folder with no index file. */
  | { readonly kind: "folder"; readonly real: string }
  /**
   * Nothing to serve. `denied`: the policy hides the path (dotfile, symlink leaving the root,
   * refused symlink), answered 404 here so no later plugin serves it; otherwise the request
   * passes on (the core answers 404 when nobody else does).
   */
  | { readonly kind: "missing"; readonly status: 403 | 404; readonly denied: boolean };

const POLICY_REASONS = new Set(["dotfile", "outside root", "symlink leaves the root", "symlinks refused"]);

export interface LocateSettings {
  readonly root: string;
  readonly policy: FilePolicy;
  readonly codings: readonly Coding[];
}

export async function locate(s: LocateSettings, urlPath: string, indexNames: readonly string[]): Promise<Located> {
  const found = await resolveExisting(s.root, urlPath, s.policy);
  if (!found.ok) return { kind: "missing", status: found.status, denied: found.status === 403 || POLICY_REASONS.has(found.reason) };
  if (found.stats.isDirectory()) {
    // RFC 3986 §5.2: relative links in a folder's index resolve against "/dir/", not "/dir".
    if (!urlPath.endsWith("/")) return { kind: "redirect" };
    for (const name of indexNames) {
      const indexPath = urlPath + name;
      const index = await resolveExisting(s.root, indexPath, s.policy);
      if (index.ok && index.stats.isFile()) return withSiblings(s, indexPath, { coding: undefined, real: index.real, stats: index.stats });
    }
    return { kind: "folder", real: found.real };
  }
  // FIFOs, sockets and devices are never served: opening a FIFO would block.
  if (!found.stats.isFile()) return { kind: "missing", status: 404, denied: true };
  return withSiblings(s, urlPath, { coding: undefined, real: found.real, stats: found.stats });
}

async function withSiblings(s: LocateSettings, urlPath: string, identity: FoundPart): Promise<FoundFile> {
  if (s.codings.length === 0) return { kind: "file", urlPath, identity, siblings: [] };
  const parts = await Promise.all(
    s.codings.map(async (coding): Promise<FoundPart | undefined> => {
      const r = await resolveExisting(s.root, urlPath + SUFFIX[coding], s.policy);
      return r.ok && r.stats.isFile() ? { coding, real: r.real, stats: r.stats } : undefined;
    }),
  );
  return { kind: "file", urlPath, identity, siblings: parts.filter((p): p is FoundPart => p !== undefined) };
}

/** What the disk looked like for `file`; two equal fingerprints mean nothing changed. */
export function fingerprint(file: FoundFile): string {
  let out = `${file.urlPath}\n${stampText(file.identity)}`;
  for (const part of file.siblings) out += `\n${part.coding}:${stampText(part)}`;
  return out;
}

function stampText(part: FoundPart): string {
  const st = part.stats;
  return `${part.real}|${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}
