// Real file-system failures for the method plugins' tests: a tiny tmpfs fills up for real
// (ENOSPC), a read-only one refuses writes for real (EROFS, which even root gets). Mounting
// needs root (`npm test` runs as root here); a mount that fails fails the test, loudly.
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Mounts a tmpfs of `size` (e.g. "64k") at `dir`, creating the folder. */
export async function mountTmpfs(dir: string, size: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir]);
  } catch (err) {
    throw new Error(`mount -t tmpfs failed (these tests need root and mount): ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

export async function remountReadOnly(dir: string): Promise<void> {
  await run("mount", ["-o", "remount,ro", dir]);
}

/** Unmounts `dir` if it is mounted; never throws (afterAll clean-up). */
export async function unmount(dir: string): Promise<void> {
  await run("umount", [dir]).catch(() => {});
}
