// Generated from schemas/plugins/get.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * GET and HEAD serve files under the server's root: index files, validators and conditional requests (RFC 9110 §13), byte ranges (§14), precompressed siblings, optional directory listings, and a bounded in-memory cache for small files.
 */
export interface GetOptions {
/**
 * File names tried, in order, for a folder requested with a trailing slash. Other plugins may add names (addIndexFiles in plugins/get).
 */
index: string[]
/**
 * List a folder that has no index file: HTML, or JSON when the request's Accept names application/json. Off: such a folder is 404.
 */
listing: boolean
/**
 * "deny": a path with a segment starting with "." (except .well-known) is 404 and hidden from listings. "allow": served and listed like any file.
 */
dotfiles: ("deny" | "allow")
/**
 * "inside": follow a symbolic link while its real path stays under the root (else 404). "refuse": a path that goes through any symbolic link is 404.
 */
symlinks: ("inside" | "refuse")
/**
 * Encodings whose precompressed sibling (file.br, file.gz) is served instead of the file when the request's Accept-Encoding allows it; on equal q-values the earlier one in this list wins, and either beats identity. [] turns the lookup off.
 */
precompressed: ("br" | "gzip")[]
/**
 * Most byte ranges one Range field may ask for. More than this, or ranges that overlap, and the Range field is ignored: the whole file is sent with 200 (CVE-2011-3192).
 */
maxRanges: number
/**
 * Cache-Control values by path pattern (picomatch globs matched against the URL path of the file served, e.g. "/assets/**"); the first match wins, no match sends no Cache-Control.
 * 
 * Items: One rule.
 */
cacheControl: {
/**
 * A glob over the URL path, starting with "/".
 */
path: string
/**
 * The Cache-Control field value sent for it.
 */
value: string
}[]
/**
 * The in-memory cache of small files (body and prebuilt headers). A cached file is checked against the disk at most once per revalidateMs, so a change made behind plugd's back is served within that bound; a PUT, DELETE or MKCOL through plugd empties the cache at once.
 */
cache: {
/**
 * Largest file (and precompressed sibling) kept in memory; larger files are streamed from disk on every request. 0 turns the cache off.
 */
maxFileBytes: number
/**
 * Bytes all cached files may hold together; the least recently used are dropped past it.
 */
maxBytes: number
/**
 * Paths the cache may hold; the least recently used are dropped past it.
 */
maxEntries: number
/**
 * How long a cached file is served without looking at the disk; the first request after that re-checks it (stat) and reloads it if it changed.
 */
revalidateMs: number
}
/**
 * Pages under the root sent in place of the plain-text body of an error response, by status (like nginx's error_page), e.g. {"404": "/404.html"}. Applies to the core's own error responses and to the plain-text ones plugins make; the status stays. Re-read within a second of a change.
 */
errorPages: {
[k: string]: string | undefined
}
}
