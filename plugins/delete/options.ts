// Generated from schemas/plugins/delete.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * DELETE removes a file or an empty folder under the root; never the root itself, never outside it.
 */
export interface DeleteOptions {
/**
 * Remove a folder with everything in it (WebDAV Depth: infinity, RFC 4918 §9.6.1). Off: a folder that is not empty is 409. Either way a folder holding a dotfile is refused (403) while dotfiles is "deny".
 */
recursive: boolean
/**
 * "deny": a path with a segment starting with "." (except .well-known) is 403. "allow": dotfiles may be deleted.
 */
dotfiles: ("deny" | "allow")
/**
 * Request paths DELETE may act on: globs matched like the auth plugin's patterns (case-insensitive; "/dir/**" also covers "/dir"). Elsewhere DELETE is 405 with Allow. The default bundle scopes it to the auth-protected "/uploads/**".
 * 
 * @minItems 1
 */
paths: string[]
}
