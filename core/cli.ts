// `plugd [--config FILE] [--check]`: run the servers a config describes, or only check it
// (`--check`, like `nginx -t`: exit 0 good, 2 bad, nothing listens).
import path from "node:path";
import { parseArgs } from "node:util";
import { errorCode } from "./errors.ts";
import { printHooks } from "./print-hooks.ts";
import { startFromConfig, type Started } from "./start.ts";

const USAGE = `Usage: plugd [--config FILE] [--check | --print-hooks]
       plugd passwd FILE USER

  --config FILE   the configuration (default ./server.config.json)
  --check         validate the configuration and its plugins, then exit: 0 good, 2 bad
  --print-hooks   for each server, every hook with its taps in the order they run; nothing listens
  --help          this text
  passwd          add or update USER in the htpasswd FILE (bcrypt); the password comes from
                  stdin or a prompt, never from the command line
`;

export async function main(argv: string[]): Promise<number> {
  // Subcommands: `plugd passwd FILE USER` (plugins/auth/passwd-command.ts).
  if (argv[0] === "passwd") {
    const { passwdCommand } = await import("../plugins/auth/passwd-command.ts");
    return passwdCommand(argv.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: process.stdin.isTTY === true });
  }
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c", default: "server.config.json" },
        check: { type: "boolean", default: false },
        "print-hooks": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`plugd: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = args.values.config;
  if (args.values.check) return check(file);
  if (args.values["print-hooks"]) return printHooksOf(file);
  return run(file);
}

async function check(file: string): Promise<number> {
  try {
    const started = await startFromConfig(file, { listen: false });
    const names = started.servers.map((s) => `${s.name} (${s.plugins.join(", ") || "no plugins"})`);
    process.stdout.write(`plugd: ${file} is valid: ${names.join("; ")}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${describe(err)}\n`);
    return 2;
  }
}

async function printHooksOf(file: string): Promise<number> {
  try {
    const started = await startFromConfig(file, { listen: false });
    process.stdout.write(printHooks(started.servers));
    return 0;
  } catch (err) {
    process.stderr.write(`${describe(err)}\n`);
    return 2;
  }
}

async function run(file: string): Promise<number> {
  let started: Started;
  try {
    started = await startFromConfig(file);
  } catch (err) {
    process.stderr.write(`${describe(err)}\n`);
    return 2;
  }
  for (const server of started.servers) {
    for (let i = 0; i < server.addresses.length; i++) {
      process.stdout.write(`plugd: server "${server.name}" listening on ${server.url(i)} (root ${path.relative(process.cwd(), server.config.root) || "."})\n`);
    }
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`plugd: ${signal}: finishing in-flight requests\n`);
      started.stop().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`${describe(err)}\n`);
          resolve(1);
        },
      );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

function describe(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code?.startsWith("PLUGD_ERR_") ? `plugd: ${message} [${code}]` : `plugd: ${err instanceof Error && err.stack ? err.stack : message}`;
}

// Run when executed directly (`node --import tsx core/cli.ts`); bin/plugd.js calls main() itself.
const invoked = process.argv[1] !== undefined && /(?:^|[\\/])core[\\/]cli\.ts$/.test(process.argv[1]);
if (invoked) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
