#!/usr/bin/env node
// The `plugd` command: runs core/cli.ts through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../core/cli.ts");
process.exit(await main(process.argv.slice(2)));
