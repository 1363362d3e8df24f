// The log files of this process, shared by every server that names the same path (one buffer
// and one descriptor per file, so two servers' lines never interleave inside a line), and the
// one SIGUSR1 handler that reopens them all (logrotate's `postrotate kill -USR1`). The handler
// is installed while at least one server with the log plugin is running: a process-wide signal
// gets one listener, not one per server. While it is installed Node's default SIGUSR1 action
// (starting the inspector) is off, which a production server wants anyway.
import { LogFile } from "./log-file.ts";

const files = new Map<string, LogFile>();

/** "-" targets: stdout for the access log, stderr for the error log. */
export type StandardStream = "stdout" | "stderr";

function key(path: string | StandardStream): string {
  return path === "stdout" || path === "stderr" ? `-${path}` : path;
}

let streamErrorsHandled = false;

/** The shared LogFile for an absolute path or a standard stream; counted until released. */
export function acquire(path: string | StandardStream): LogFile {
  const k = key(path);
  let file = files.get(k);
  if (file === undefined) {
    if (path === "stdout" || path === "stderr") {
      const stream = path === "stdout" ? process.stdout : process.stderr;
      if (!streamErrorsHandled) {
        // A closed stdout (EPIPE) must not crash the server; the write callback reports it.
        streamErrorsHandled = true;
        process.stdout.on("error", () => {});
        process.stderr.on("error", () => {});
      }
      file = new LogFile("-", stream);
    } else {
      file = new LogFile(path);
    }
    files.set(k, file);
  }
  file.refs++;
  return file;
}

/** Drops one use; the last one writes what is waiting and closes the file. */
export async function release(file: LogFile): Promise<void> {
  if (--file.refs > 0) return;
  for (const [k, f] of files) if (f === file) files.delete(k);
  await file.close();
}

/** Reopens every log file of the process. */
export function reopenAll(): Promise<void> {
  return Promise.all([...files.values()].map((file) => file.reopen())).then(() => undefined);
}

let holders = 0;
const onSignal = (): void => void reopenAll();

/** A server starts using the logs: the first one installs the SIGUSR1 handler. */
export function holdReopenSignal(): void {
  if (holders++ === 0) process.on("SIGUSR1", onSignal);
}

/** A server stopped: the last one removes the handler. */
export function releaseReopenSignal(): void {
  if (holders > 0 && --holders === 0) process.removeListener("SIGUSR1", onSignal);
}
