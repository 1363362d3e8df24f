// Generated from schemas/plugins/post.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * The POST gate and fallback. Gateways (php-cgi) answer POST; this plugin checks every POST before them (framing, Content-Type) and answers the ones no gateway took: 405 with Allow for an existing target, 404 for nothing.
 */
export interface PostOptions {
/**
 * Answer 400 to a POST that has content (Content-Length > 0 or chunked) but no Content-Type. A POST with Content-Length: 0 needs none.
 */
requireContentType: boolean
/**
 * Media types a POST may carry, e.g. ["application/x-www-form-urlencoded", "multipart/form-data", "text/*"]; others get 415. Compared case-insensitively without parameters; "type/*" matches a whole type. Empty: any type.
 */
contentTypes: string[]
}
