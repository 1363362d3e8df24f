// `plugd passwd [-C COST] FILE USER`: adds or updates USER in the htpasswd FILE with a bcrypt
// hash, like `htpasswd -B`. The password comes from standard input (its first line) or, on a
// terminal, from a prompt with echo off, asked twice — never from the command line, where
// `ps` and shell history would show it. A missing FILE is created with mode 0600; FILE is
// replaced atomically (a temp file in the same folder, fsync, rename), so the server's
// watcher never reads half a file.
import { randomBytes } from "node:crypto";
import { chown, open, readFile, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import bcrypt from "bcryptjs";

export interface PasswdIO {
  readonly stdin: NodeJS.ReadableStream & { setRawMode?: (mode: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Whether stdin is a terminal (prompt with echo off) or not (read the first line). */
  readonly isTTY: boolean;
}

export const PASSWD_USAGE = `Usage: plugd passwd [-C COST] FILE USER

Adds USER to the htpasswd FILE, or changes USER's password, with bcrypt (like htpasswd -B).
The password is read from standard input (the first line), or asked twice on a terminal.
FILE is created (mode 0600) when missing.

  -C COST   bcrypt cost, 4 to 17 (default 10)
`;

const DEFAULT_COST = 10;
const CONTROL = /[\u0000-\u001f\u007f]/;

export async function passwdCommand(args: string[], io: PasswdIO): Promise<number> {
  const say = (text: string): void => void io.stderr.write(text);
  let cost = DEFAULT_COST;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-h" || a === "--help") {
      io.stdout.write(PASSWD_USAGE);
      return 0;
    }
    if (a === "-C") {
      cost = Number(args[++i]);
      if (!Number.isInteger(cost) || cost < 4 || cost > 17) return usage(say, "-C takes a bcrypt cost from 4 to 17");
    } else if (a.startsWith("-") && a !== "-") {
      return usage(say, `unknown option ${a}`);
    } else rest.push(a);
  }
  if (rest.length !== 2) return usage(say, rest.length > 2 ? "too many arguments (the password is never an argument: give it on standard input)" : "FILE and USER are required");
  const [file, user] = rest as [string, string];
  const userProblem = checkUser(user);
  if (userProblem !== undefined) return usage(say, userProblem);

  let password: string | undefined;
  try {
    password = io.isTTY ? await promptTwice(io) : await firstLine(io.stdin);
  } catch (err) {
    say(`plugd passwd: ${(err as Error).message}\n`);
    return 1;
  }
  if (password === undefined) return 130;
  const problem = checkPassword(password);
  if (problem !== undefined) {
    say(`plugd passwd: ${problem}\n`);
    return 1;
  }
  try {
    const hash = (await bcrypt.hash(password, cost)).replace(/^\$2[ab]\$/, "$2y$");
    const added = await upsert(file, user, hash);
    io.stdout.write(`${added ? "Adding" : "Updating"} password for user ${user}\n`);
    return 0;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    say(`plugd passwd: ${file}: ${e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : e.message}\n`);
    return 1;
  }
}

function usage(say: (text: string) => void, problem: string): number {
  say(`plugd passwd: ${problem}\n${PASSWD_USAGE}`);
  return 2;
}

function checkUser(user: string): string | undefined {
  if (user === "") return "USER is empty";
  if (user.includes(":")) return 'USER cannot contain ":" (RFC 7617 §2)';
  if (CONTROL.test(user)) return "USER cannot contain control characters";
  if (Buffer.byteLength(user) > 255) return "USER is longer than 255 bytes";
  return undefined;
}

function checkPassword(password: string): string | undefined {
  if (password === "") return "the password is empty";
  if (CONTROL.test(password)) return "the password contains a control character (RFC 7617 §2: clients cannot send those)";
  // bcrypt reads only the first 72 bytes: a longer password would be accepted by its prefix.
  if (Buffer.byteLength(password) > 72) return "the password is longer than 72 bytes, the most bcrypt uses";
  return undefined;
}

/** The first line of a stream read to its end (`echo secret | plugd passwd ...`). */
async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  const all = Buffer.concat(chunks);
  if (all.length === 0) throw new Error("no password on standard input");
  const end = all.indexOf(0x0a);
  const line = end === -1 ? all : all.subarray(0, end);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(line.at(-1) === 0x0d ? line.subarray(0, -1) : line);
  return text;
}

/** Asks twice with echo off; undefined when the user pressed Ctrl-C or Ctrl-D. */
async function promptTwice(io: PasswdIO): Promise<string | undefined> {
  // Raw mode (no echo; bytes as typed: we handle Enter, backspace, Ctrl-C) is on before the first
  // prompt shows and stays on until the second answer: a fast typist is never echoed.
  io.stdin.setRawMode?.(true);
  try {
    const first = await prompt(io, "New password: ");
    if (first === undefined) return undefined;
    const second = await prompt(io, "Re-type new password: ");
    if (second === undefined) return undefined;
    if (first !== second) throw new Error("the passwords do not match; nothing changed");
    return first;
  } finally {
    io.stdin.setRawMode?.(false);
    io.stdin.pause();
  }
}

function prompt(io: PasswdIO, question: string): Promise<string | undefined> {
  const { stdin, stderr } = io;
  return new Promise((resolvePrompt, reject) => {
    let bytes: number[] = [];
    const finish = (value: string | undefined, err?: Error): void => {
      stdin.removeListener("data", onData);
      stdin.pause();
      stderr.write("\n");
      bytes = [];
      if (err !== undefined) reject(err);
      else resolvePrompt(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const b of typeof chunk === "string" ? Buffer.from(chunk) : chunk) {
        if (b === 0x0d || b === 0x0a) {
          let text: string;
          try {
            text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
          } catch {
            return finish(undefined, new Error("the password is not valid UTF-8"));
          }
          return finish(text);
        }
        if (b === 0x03 || (b === 0x04 && bytes.length === 0)) return finish(undefined);
        if (b === 0x7f || b === 0x08) {
          // Drop a whole UTF-8 character: its continuation bytes (10xxxxxx), then its lead byte.
          while (bytes.length > 0 && ((bytes.at(-1) as number) & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
          continue;
        }
        bytes.push(b);
      }
    };
    stderr.write(question);
    stdin.on("data", onData);
    stdin.resume();
  });
}

/**
 * Replaces USER's line, or appends one, keeping every other line as it was. Returns true when
 * the user was added. The new file keeps the old one's mode and owner (when we may set it).
 */
async function upsert(file: string, user: string, hash: string): Promise<boolean> {
  let target = file;
  let text = "";
  let mode = 0o600;
  let owner: { uid: number; gid: number } | undefined;
  try {
    target = await realpath(file);
    text = await readFile(target, "utf8");
    const s = await stat(target);
    mode = s.mode & 0o777;
    owner = { uid: s.uid, gid: s.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const entry = `${user}:${hash}`;
  const at = lines.findIndex((line) => !line.startsWith("#") && line.indexOf(":") === user.length && line.startsWith(user));
  if (at === -1) lines.push(entry);
  else lines[at] = entry;
  await writeAtomically(target, `${lines.join("\n")}\n`, mode, owner);
  return at === -1;
}

async function writeAtomically(file: string, text: string, mode: number, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(text);
    await handle.chmod(mode);
    if (owner !== undefined) await chown(temp, owner.uid, owner.gid).catch(() => undefined);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  // Make the rename itself durable; some file systems cannot sync a folder, which is fine.
  const folder = await open(dirname(file), "r").catch(() => undefined);
  await folder?.sync().catch(() => undefined);
  await folder?.close();
}
