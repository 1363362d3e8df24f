// The get plugin's request handling. Two taps per method (GET, HEAD):
// - hit(): synchronous, no I/O. A fresh cache entry for the path answers at once (DESIGN §2:
//   sync taps keep the request free of promises); anything else passes to serve().
// - serve(): locates the file, revalidates or fills the cache, or streams a large file.
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import mime from "mime-types";
import picomatch from "picomatch";
import type { Request } from "../../core/http/request.ts";
import { error, redirect, type Response } from "../../core/http/response.ts";
import type { Server } from "../../core/server.ts";
import type { FilePolicy } from "../shared/files.ts";
import { FileCache, type CachedVariant, type Entry } from "./cache.ts";
import { chooseCoding, type Coding } from "./encoding.ts";
import { indexFiles } from "./index-files.ts";
import { listFolder, listingResponse, wantsJson } from "./listing.ts";
import { fingerprint, locate, type FoundFile, type FoundPart, type Located, type LocateSettings } from "./locate.ts";
import type { GetOptions } from "./options.ts";
import { readFileFields, type FileRequestFields } from "./request-fields.ts";
import { makeVariant, respond, type FileStamp, type VariantShape } from "./variant.ts";

// O_NOFOLLOW: the real path's last component was checked to be no symlink; refuse one swapped
// in since. O_NONBLOCK: a FIFO swapped in cannot block a thread-pool thread on open.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const DEFAULT_TYPE = "application/octet-stream";

export class StaticFiles {
  readonly #server: Server;
  readonly #options: GetOptions;
  readonly #cache: FileCache;
  readonly #revalidateMs: number;
  readonly #maxRanges: number;
  readonly #rules: ReadonlyArray<{ match: (p: string) => boolean; value: string }>;
  #settings: LocateSettings;
  /** Hand out copies of shared responses (see start()). */
  #copyOut = false;
  /** Locates and cache fills in flight, shared by concurrent requests for the same path. */
  readonly #locating = new Map<string, Promise<Located>>();
  readonly #loading = new Map<string, Promise<Entry | undefined>>();

  constructor(server: Server, options: GetOptions) {
    this.#server = server;
    this.#options = options;
    this.#cache = new FileCache(options.cache);
    this.#revalidateMs = options.cache.revalidateMs;
    this.#maxRanges = options.maxRanges;
    this.#rules = options.cacheControl.map((r) => ({ match: compileRule(r.path), value: r.value }));
    const policy: FilePolicy = { dotfiles: options.dotfiles, symlinks: options.symlinks };
    this.#settings = { root: path.resolve(server.config.root), policy, codings: options.precompressed };
  }

  /**
   * At `listening`: the taps are final. Cached Response values are shared by every request, so
   * when something may change a response after us (a `respond` tap; the core's Server-Timing,
   * which replaces `headers`), each request gets a copy.
   */
  start(): void {
    this.#copyOut = this.#server.hooks.respond.isUsed() || this.#server.config.timing;
    this.#settings = { ...this.#settings, root: path.resolve(this.#server.config.root) };
  }

  stop(): void {
    this.#cache.clear();
  }

  /** The cache, for tests and diagnostics. */
  get cache(): FileCache {
    return this.#cache;
  }

  readonly hit = (request: Request): Response | undefined => {
    const entry = this.#cache.get(request.path);
    if (entry === undefined || Date.now() - entry.checkedAt >= this.#revalidateMs) return undefined;
    entry.used = true;
    const fields = readFileFields(request.headers);
    if (fields === undefined) return this.#out(entry.identity.ok);
    return this.#fromEntry(entry, fields, request.method === "GET");
  };

  readonly serve = async (request: Request): Promise<Response | undefined> => {
    const urlPath = request.path;
    if (urlPath.charCodeAt(0) !== 0x2f) return undefined;
    const located = await this.#locate(urlPath);
    if (located.kind !== "file") this.#cache.delete(urlPath);
    switch (located.kind) {
      case "missing":
        return located.denied ? error(located.status) : undefined;
      case "redirect":
        return this.#redirect(request);
      case "folder":
        return this.#options.listing ? this.#listing(request, located.real) : undefined;
      case "file":
        break;
    }
    const fields = readFileFields(request.headers);
    const isGet = request.method === "GET";
    const print = fingerprint(located);
    const existing = this.#cache.get(urlPath);
    if (existing !== undefined) {
      if (existing.fingerprint === print) {
        existing.checkedAt = Date.now();
        existing.used = true;
        return this.#fromEntry(existing, fields, isGet);
      }
      this.#cache.delete(urlPath);
    }
    const parts = [located.identity, ...located.siblings];
    if (this.#cache.admits(parts.map((p) => p.stats.size))) {
      const entry = await this.#load(urlPath, located, print);
      if (entry !== undefined) return this.#fromEntry(entry, fields, isGet);
    }
    return this.#stream(urlPath, located, fields, isGet);
  };

  #fromEntry(entry: Entry, fields: FileRequestFields | undefined, isGet: boolean): Response {
    let chosen: CachedVariant = entry.identity;
    if (fields === undefined) return this.#out(chosen.ok);
    if (entry.codings.length > 0) {
      const coding = chooseCoding(fields.acceptEncoding, entry.codings);
      if (coding !== undefined) chosen = entry.encoded[entry.codings.indexOf(coding)] as CachedVariant;
    }
    if (
      fields.ifMatch === undefined &&
      fields.ifNoneMatch === undefined &&
      fields.ifModifiedSince === undefined &&
      fields.ifUnmodifiedSince === undefined &&
      fields.range === undefined
    ) {
      return this.#out(chosen.ok);
    }
    return this.#out(respond(chosen.variant, chosen.body, fields, isGet, this.#maxRanges));
  }

  #out(response: Response): Response {
    return this.#copyOut ? { ...response, headers: { ...response.headers } } : response;
  }

  #locate(urlPath: string): Promise<Located> {
    let pending = this.#locating.get(urlPath);
    if (pending === undefined) {
      pending = locate(this.#settings, urlPath, indexFiles(this.#server));
      this.#locating.set(urlPath, pending);
      const done = (): void => {
        this.#locating.delete(urlPath);
      };
      pending.then(done, done);
    }
    return pending;
  }

  #shape(requestPath: string, file: FoundFile): VariantShape {
    const type = mime.contentType(path.posix.basename(file.urlPath));
    return {
      contentType: type === false ? DEFAULT_TYPE : type,
      cacheControl: this.#cacheControl(requestPath, file.urlPath),
      vary: file.siblings.length > 0,
    };
  }

  /** The first rule matching the request path or the served file's path (an index file). */
  #cacheControl(requestPath: string, fileUrlPath: string): string | undefined {
    for (const rule of this.#rules) if (rule.match(requestPath) || rule.match(fileUrlPath)) return rule.value;
    return undefined;
  }

  #load(key: string, file: FoundFile, print: string): Promise<Entry | undefined> {
    let pending = this.#loading.get(key);
    if (pending === undefined) {
      pending = this.#read(key, file, print);
      this.#loading.set(key, pending);
      const done = (): void => {
        this.#loading.delete(key);
      };
      pending.then(done, done);
    }
    return pending;
  }

  /** Reads the file and its siblings into a new cache entry; undefined if one changed meanwhile. */
  async #read(key: string, file: FoundFile, print: string): Promise<Entry | undefined> {
    const parts = [file.identity, ...file.siblings];
    const bodies = await Promise.all(parts.map(readWhole));
    if (bodies.some((b) => b === undefined)) return undefined;
    const now = Date.now();
    const shape = this.#shape(key, file);
    const cached = parts.map((part, i): CachedVariant => {
      const variant = makeVariant(part.coding, part.stats, shape, now);
      const body = bodies[i] as Buffer;
      return { variant, body, ok: { status: 200, headers: variant.headers, body } };
    });
    const entry: Entry = {
      key,
      checkedAt: now,
      used: false,
      bytes: FileCache.cost(key, bodies as Buffer[]),
      fingerprint: print,
      identity: cached[0] as CachedVariant,
      encoded: cached.slice(1),
      codings: file.siblings.map((s) => s.coding as Coding),
    };
    this.#cache.set(entry);
    return entry;
  }

  /** A file too large for the cache: opened per request, streamed by the core. */
  async #stream(requestPath: string, file: FoundFile, fields: FileRequestFields | undefined, isGet: boolean): Promise<Response> {
    const coding = chooseCoding(fields?.acceptEncoding, file.siblings.map((s) => s.coding as Coding));
    const part = coding === undefined ? file.identity : (file.siblings.find((s) => s.coding === coding) as FoundPart);
    const shape = this.#shape(requestPath, file);
    if (!isGet) {
      // HEAD: no content, so nothing is opened; the located stats give the headers.
      return this.#out(respond(makeVariant(coding, part.stats, shape, Date.now()), part.real, fields, false, this.#maxRanges));
    }
    const opened = await openSame(part);
    if (opened === undefined) {
      // Replaced between the check and the open (a deploy): look again, once.
      const again = await locate(this.#settings, file.urlPath, []);
      if (again.kind !== "file") return error(404);
      return this.#streamOnce(again, coding, shape, fields);
    }
    return this.#out(respond(makeVariant(coding, opened.stats, shape, Date.now()), opened.handle, fields, true, this.#maxRanges));
  }

  async #streamOnce(file: FoundFile, coding: Coding | undefined, shape: VariantShape, fields: FileRequestFields | undefined): Promise<Response> {
    const part = coding === undefined ? file.identity : file.siblings.find((s) => s.coding === coding);
    const opened = part === undefined ? undefined : await openSame(part);
    // Still changing under us: better a retryable 503 than bytes we did not check.
    if (opened === undefined) return error(503, undefined, { "retry-after": "1" });
    return this.#out(respond(makeVariant(coding, opened.stats, shape, Date.now()), opened.handle, fields, true, this.#maxRanges));
  }

  #redirect(request: Request): Response {
    // Built from the normalized path, never the raw target: "//evil.example/dir" must not
    // become a protocol-relative Location (open redirect, cf. CVE-2015-1164 in serve-static).
    const location = request.path.split("/").map(encodeURIComponent).join("/") + "/" + (request.query === "" ? "" : `?${request.query}`);
    return redirect(location, 301);
  }

  async #listing(request: Request, real: string): Promise<Response> {
    const entries = await listFolder(this.#settings.root, request.path, real, this.#settings.policy);
    const json = wantsJson(request.headers.get("accept"));
    return listingResponse(request.path, entries, json, this.#cacheControl(request.path, request.path));
  }
}

// A Cache-Control path glob. Patterns and paths are matched without their leading "/", so that
// "/**/*.html" also matches "/index.html" (picomatch's "/**/" wants a folder in between).
function compileRule(pattern: string): (urlPath: string) => boolean {
  const match = picomatch(pattern.slice(1), { dot: true });
  return (urlPath) => match(urlPath.slice(1));
}

/** Opens `part.real` and checks it is still the file that was located (same device and inode). */
async function openSame(part: FoundPart): Promise<{ handle: FileHandle; stats: FileStamp } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(part.real, OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const stats = await handle.stat();
    if (stats.isFile() && stats.dev === part.stats.dev && stats.ino === part.stats.ino) return { handle, stats };
  } catch {
    // fall through: closed below
  }
  await handle.close().catch(() => {});
  return undefined;
}

/** The whole file, if it is still the located one and unchanged while read. */
async function readWhole(part: FoundPart): Promise<Buffer | undefined> {
  const opened = await openSame(part);
  if (opened === undefined) return undefined;
  try {
    const before = opened.stats;
    if (before.size !== part.stats.size || before.mtimeMs !== part.stats.mtimeMs) return undefined;
    const data = await opened.handle.readFile();
    const after = await opened.handle.stat();
    if (data.length !== before.size || after.mtimeMs !== before.mtimeMs || after.size !== before.size) return undefined;
    return data;
  } finally {
    await opened.handle.close().catch(() => {});
  }
}
