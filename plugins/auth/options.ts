// Generated from schemas/plugins/auth.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * A glob on the request path, starting with "/": "/private/**", "/uploads/*.txt".
 */
export type Pattern = string

/**
 * HTTP Basic authentication (RFC 7617) for protected paths, with users from an Apache htpasswd file (bcrypt, $apr1$ MD5 or {SHA}). No or bad credentials: 401; a user not allowed on the path: 403; too many failures from one client: 429. Optionally proxy credentials (407) for CONNECT and absolute-form requests to other hosts.
 */
export interface AuthOptions {
/**
 * The htpasswd file (made by Apache's htpasswd -B, -m or -s, or by `plugd passwd FILE USER`). A relative path resolves against the folder of the configuration file; keep it outside the web root (a file inside the root is warned about at start-up). Re-read when it changes; a broken file keeps the last good users.
 */
users: string
/**
 * The realm named in the WWW-Authenticate challenge (browsers show it in the login prompt). A rule's own realm overrides it.
 */
realm: string
/**
 * The protected paths: glob patterns (picomatch) on the request's decoded, normalized path, matched case-insensitively and including dotfiles. "/private/**" also covers "/private" and "/private/". A string protects every method (HEAD counts as GET); an object narrows a rule to some methods, some users, or gives it a realm. Every rule that matches a request applies: the user must be allowed by each. The default protects everything; [] protects nothing (proxy credentials only).
 */
protect: (Pattern | {
path: Pattern
/**
 * Only these methods are protected on these paths (e.g. ["PUT", "DELETE"]); GET brings HEAD with it. Absent: every method.
 * 
 * @minItems 1
 */
methods?: string[]
/**
 * Only these users may pass (others get 403). Absent: any user in the users file.
 */
users?: string[]
/**
 * The realm of this rule's challenge. Absent: the top-level realm.
 */
realm?: string
})[]
/**
 * Proxy credentials (RFC 9110 §11.7) for the connect plugin: true, or an object with the realm and the users allowed, checks Proxy-Authorization on CONNECT requests and on absolute-form requests to other hosts (answering 407), with the same users and the same verification. false: off.
 */
proxy: (boolean | {
/**
 * The realm of the Proxy-Authenticate challenge. Absent: the top-level realm.
 */
realm?: string
/**
 * Only these users may use the proxy (others get 403). Absent: any user in the users file.
 */
users?: string[]
})
/**
 * Failed attempts (wrong user or password) per client address: after maxFailures within windowSeconds, requests that need credentials get 429 with Retry-After until the window ends. IPv6 clients are counted per /64.
 */
throttle: {
/**
 * Failures allowed per client within the window; 0 turns throttling off.
 */
maxFailures: number
/**
 * Length of the window, in seconds, counted from the client's first failure in it.
 */
windowSeconds: number
}
/**
 * Successful verifications remembered (a bounded LRU keyed by a SHA-256 of user, password and stored hash), so bcrypt does not run on every request. 0 turns the cache off.
 */
cacheSize: number
}
