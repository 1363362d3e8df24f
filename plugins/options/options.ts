// Generated from schemas/plugins/options.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * OPTIONS: "*" lists every method the server handles; a path lists the methods that apply to it (Allow), or 404 when nothing is there and nothing could create it.
 */
export interface OptionsOptions {
/**
 * "deny": a path with a segment starting with "." (except .well-known) is answered 404, as get does. "allow": looked up like any path.
 */
dotfiles: ("deny" | "allow")
}
