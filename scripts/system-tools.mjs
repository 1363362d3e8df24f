// What the tests need from Debian: the command they run and the package that brings it.
// scripts/test.mjs installs what is missing. Add a line when a test starts using a tool.
export const SYSTEM_TOOLS = [
  { command: "curl", package: "curl" },
  { command: "wget", package: "wget" },
  { command: "htpasswd", package: "apache2-utils" },
  { command: "openssl", package: "openssl" },
  { command: "script", package: "bsdutils" },
  { command: "goaccess", package: "goaccess" },
  { command: "litmus", package: "litmus" },
  { command: "chromium", package: "chromium" },
  { command: "php-cgi", package: "php-cgi" },
  { command: "php-fpm8.2", package: "php-fpm" },
  { command: "prlimit", package: "util-linux" },
  { command: "mount", package: "mount" },
  { command: "umount", package: "mount" },
];
