// Generated from schemas/plugins/log.schema.json by scripts/gen-option-types.ts. Do not edit.

/**
 * Access and error logs: one escaped line per answered request, and a failure log. Writes are buffered and asynchronous; SIGUSR1 reopens the files (logrotate).
 */
export interface LogOptions {
/**
 * Folder of the log files, created when missing. A relative path resolves against the folder of the configuration file (for a server made in code: the working directory).
 */
dir: string
/**
 * The access log's file name inside dir (an absolute path is used as is), or "-" for standard output.
 */
access: string
/**
 * The error log's file name inside dir (an absolute path is used as is), or "-" for standard error.
 */
error: string
/**
 * Access log lines: "combined" (Apache/nginx Combined Log Format), "common" (Common Log Format) or "json" (one JSON object a line; the error log is then JSON lines too).
 */
format: ("combined" | "common" | "json")
}
