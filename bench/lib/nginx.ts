// The nginx peer's configuration, shared by the groups that run nginx: one worker, in the
// foreground, no access log, temp paths and pid under `dir`, and keep-alive connections never
// closed by request count (plugd never does; nginx's default is 1000).
export function nginxConfig(dir: string, http: readonly string[], options: { runAsRoot?: boolean } = {}): string {
  return [
    ...(options.runAsRoot === true ? ["user root;"] : []),
    "worker_processes 1;",
    "daemon off;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log;`,
    "events { worker_connections 4096; }",
    "http {",
    "  access_log off;",
    "  keepalive_requests 1000000;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/${t};`),
    ...http.map((line) => `  ${line}`),
    "}",
  ].join("\n") + "\n";
}
