// Generated from schemas/plugins/put.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * PUT writes the request body to root + path: atomically (a temp file in the same folder, renamed into place), streamed to disk, never a file a gateway would execute.
 */
export interface PutOptions {
/**
 * Create missing parent folders (each checked like the file: under the root, no dotfile, no script extension). Off: a missing parent is 409.
 */
createDirs: boolean
/**
 * Allow creating files with a script extension (this list and every extension a gateway registered). Off: 403.
 */
allowScripts: boolean
/**
 * Extensions PUT refuses in any path segment, case-insensitive, in addition to those a gateway on this server registered (a folder can be served by another server that runs them).
 */
scriptExtensions: string[]
/**
 * "deny": a path with a segment starting with "." (except .well-known) is 403. "allow": dotfiles may be written.
 */
dotfiles: ("deny" | "allow")
/**
 * Flush the file to disk before renaming it into place, so a crash cannot leave a renamed but empty file.
 */
fsync: boolean
/**
 * Request paths PUT may act on: globs matched like the auth plugin's patterns (case-insensitive; "/dir/**" also covers "/dir"). Elsewhere PUT is 405 with Allow. The default bundle scopes it to the auth-protected "/uploads/**".
 * 
 * @minItems 1
 */
paths: string[]
}
