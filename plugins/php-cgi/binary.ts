// Finding the php-cgi program once, at start-up: a name is looked up on PATH (as execvp would),
// a path is taken as it is. The absolute path is what gets spawned, so a later change of PATH
// or of the working directory cannot swap the program.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join, resolve } from "node:path";

export type Found = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export async function findBinary(name: string, pathVariable: string | undefined = process.env.PATH): Promise<Found> {
  if (name.includes("/")) {
    const file = isAbsolute(name) ? name : resolve(name);
    return (await executable(file)) ? { ok: true, path: file } : { ok: false, reason: `${file} is not an executable file` };
  }
  const dirs = (pathVariable ?? "").split(delimiter).filter((d) => d !== "");
  for (const dir of dirs) {
    const file = join(dir, name);
    if (await executable(file)) return { ok: true, path: isAbsolute(file) ? file : resolve(file) };
  }
  return { ok: false, reason: `${name} was not found on PATH (${dirs.join(delimiter)}); on Debian: apt-get install php-cgi` };
}
