// Generated from schemas/plugins/php-cgi.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * The PHP gateway: runs PHP scripts under the web root for GET, HEAD and POST, either as CGI/1.1 (RFC 3875, one php-cgi process per request) or over FastCGI (php-fpm at `address`, or a pool of `php-cgi -b` children plugd supervises). See plugins/php-cgi/README.md.
 */
export interface PhpCgiOptions {
/**
 * "cgi": spawn php-cgi for each request (no arguments, ever). "fastcgi": talk FastCGI to `address`, or, when `address` is empty, to a pool of `children` php-cgi -b processes plugd starts, supervises and stops.
 */
mode: ("cgi" | "fastcgi")
/**
 * File extensions run as PHP, compared case-insensitively against the last extension of the file's name. Only regular files with one of these are run; the same list is registered so that `put` never creates such a file.
 * 
 * @minItems 1
 */
extensions: string[]
/**
 * Index file names added after the get plugin's own (so with get's default, index.html wins over index.php, as nginx's `index index.html index.php`). A folder request "/dir/" whose first existing index file has one of `extensions` runs that script.
 */
index: string[]
/**
 * The php-cgi program: a name looked up on PATH, or a path. Used by mode "cgi" and by plugd's own FastCGI pool. When it cannot be found the server still starts, warns, and answers script requests with 503.
 */
binary: string
/**
 * Mode "fastcgi" only: an external FastCGI server (php-fpm) as "host:port", "[v6]:port" or a unix socket path ("/run/php/php8.2-fpm.sock" or "unix:/run/..."). Empty: plugd runs its own pool of php-cgi -b children.
 */
address: string
/**
 * Mode "fastcgi" without `address`: how many php-cgi -b processes plugd keeps running (each runs one script at a time; one that dies is started again).
 */
children: number
/**
 * Most scripts running at once: php-cgi processes in mode "cgi", connections to `address` in mode "fastcgi" (keep it at most php-fpm's pm.max_children: each kept connection holds a worker). With plugd's own pool the limit is `children`.
 */
concurrency: number
/**
 * Requests that may wait for a free slot. One more, or one that has waited timeoutMs, is answered 503 with Retry-After.
 */
queue: number
/**
 * Longest silence from a script (no output while its response was wanted, and no request body taken while one was being sent), as nginx's fastcgi_read_timeout. Past it the script is stopped (php-cgi: its whole process group is killed) and the client gets 504, or, once the response has begun, the connection is closed. Also bounds the wait in the queue.
 */
timeoutMs: number
/**
 * Pass the Authorization header to scripts as HTTP_AUTHORIZATION. Off (the default, RFC 3875 §4.1.18): scripts see AUTH_TYPE and REMOTE_USER from the auth plugin, never the credentials.
 */
passAuthorization: boolean
/**
 * "deny": a script path with a segment starting with "." (except .well-known) is 404. "allow": such scripts run.
 */
dotfiles: ("deny" | "allow")
/**
 * "inside": run a script reached through a symbolic link while its real path stays under the root (else 404). "refuse": a script path that goes through any symbolic link is 404.
 */
symlinks: ("inside" | "refuse")
/**
 * How long where a path leads (the script, its PATH_INFO split, a folder's index script, or no script) is remembered before the disk is asked again, as PHP's own realpath cache does (for 120 s). A script added, removed or moved is seen within this time. 0: ask the disk on every request.
 */
revalidateMs: number
/**
 * Mode "fastcgi" with `address`: a kept connection idle for this long is closed, giving its php-fpm worker back (an idle kept connection holds one, as nginx's upstream keepalive_timeout).
 */
idleTimeoutMs: number
}
