// Every benchmark group, in the order `npm run bench` runs them. To add one (static files vs
// nginx, PHP vs nginx+php-fpm, CONNECT throughput ...), write bench/groups/<name>.ts exporting
// a Group and list it here.
import { auth } from "./auth.ts";
import { connect } from "./connect.ts";
import { hello } from "./hello.ts";
import { log } from "./log.ts";
import { memory } from "./memory.ts";
import { php } from "./php.ts";
import { pipelined } from "./pipelined.ts";
import { staticFiles } from "./static.ts";
import type { Group } from "./types.ts";

export const GROUPS: readonly Group[] = [hello, pipelined, memory, log, staticFiles, auth, connect, php];
