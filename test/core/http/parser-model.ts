// fast-check generators for streams of valid pipelined requests, with the heads and bodies the
// parser must produce for them (the model), and for mutations of those streams.
import fc from "fast-check";

export interface ModelRequest {
  leadingEmptyLines: number;
  method: string;
  target: string;
  version: "1.0" | "1.1";
  /** Fields as the parser must report them: lower-case name, trimmed value. */
  fields: [string, string][];
  /** The field lines as sent. */
  fieldLines: string[];
  body: string;
  bodyKind: "none" | "length" | "chunked";
  /** The body bytes as sent (raw chunked framing for chunked). */
  wireBody: string;
  trailers: [string, string][] | undefined;
}

const TCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const PATH_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@%/";
const chars = (set: string) => fc.constantFrom(...set.split(""));

const token = fc.string({ unit: chars(TCHARS), minLength: 1, maxLength: 10 });
const ows = fc.constantFrom("", "", " ", "\t", "  ", " \t");

/** A field value: VCHAR, obs-text, SP and HTAB, not starting or ending with whitespace. */
const fieldValue = fc
  .array(fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0x20, 0x09)), { maxLength: 24 })
  .map((codes) => String.fromCharCode(...codes).replace(/^[ \t]+|[ \t]+$/g, ""));

/** A field the parser does not interpret: "x-" keeps it clear of Host, Content-Length, etc. */
const field = fc.record({ name: token, value: fieldValue, pre: ows, post: ows }).map(({ name, value, pre, post }) => ({
  line: `X-${name}:${pre}${value}${post}\r\n`,
  name: `x-${name.toLowerCase()}`,
  value,
}));

const KNOWN_METHODS = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");
const path = fc.string({ unit: chars(PATH_CHARS), maxLength: 30 });
const target = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(path, fc.option(path)).map(([p, q]) => `/${p}${q === null ? "" : `?${q}`}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("http", "https", "HTTP"), path).map(([s, p]) => `${s}://example.com:8080/${p}`) },
);

const bodyBytes = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max }).map((b) => Buffer.from(b).toString("latin1"));

/** A chunk extension: *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ). */
const quoted = fc
  .array(fc.oneof(fc.constantFrom("a", " ", "\t", "\\\"", "\\\\", "\xe9", "=", ";", ","), chars(TCHARS)), { maxLength: 8 })
  .map((parts) => `"${parts.join("")}"`);
const extension = fc
  .array(
    fc.record({
      bws: fc.array(ows, { minLength: 4, maxLength: 4 }),
      name: token,
      value: fc.option(fc.oneof(token, quoted)),
    }),
    { maxLength: 3 },
  )
  .map((exts) => exts.map(({ bws: [a, b, c, d], name, value }) => `${a};${b}${name}${value === null ? "" : `${c}=${d}${value}`}`).join(""))
  // BWS may only lead to another ";": whitespace right before the CRLF is not allowed.
  .map((e) => e.replace(/[ \t]+$/, ""));

const chunkedBody = fc
  .record({
    chunks: fc.array(fc.record({ data: bodyBytes(40), ext: extension, zeros: fc.nat(3), upper: fc.boolean() }), { maxLength: 4 }),
    lastExt: extension,
    trailers: fc.array(field, { maxLength: 2 }),
  })
  .map(({ chunks, lastExt, trailers }) => {
    let wire = "";
    for (const c of chunks) {
      const size = c.data.length.toString(16);
      wire += `${"0".repeat(c.zeros)}${c.upper ? size.toUpperCase() : size}${c.ext}\r\n${c.data}\r\n`;
    }
    wire += `0${lastExt}\r\n${trailers.map((t) => t.line).join("")}\r\n`;
    return {
      body: chunks.map((c) => c.data).join(""),
      wire,
      trailers: trailers.length === 0 ? undefined : trailers.map((t): [string, string] => [t.name, t.value]),
    };
  });

export interface RequestOptions {
  /** Methods: the common ones, or any token as well (default). */
  methods?: "known" | "any";
  /** Send `Connection: keep-alive` on 1.0 requests, so that more may follow. */
  keepAlive10?: boolean;
}

export const request = (options: RequestOptions = {}): fc.Arbitrary<ModelRequest> =>
  fc
  .record({
    leadingEmptyLines: fc.constantFrom(0, 0, 0, 1, 2),
    method: options.methods === "known" ? KNOWN_METHODS : fc.oneof(KNOWN_METHODS, token),
    target,
    http10: fc.boolean(),
    fields: fc.array(field, { maxLength: 5 }),
    hostFirst: fc.boolean(),
    body: fc.oneof(
      fc.constant(undefined),
      bodyBytes(60).map((data) => ({ body: data, wire: data, trailers: undefined, chunked: false })),
      chunkedBody.map((c) => ({ ...c, chunked: true })),
    ),
  })
  .map(({ leadingEmptyLines, method, target, http10, fields, hostFirst, body }) => {
    const version = http10 && body?.chunked !== true ? "1.0" : "1.1";
    const lines = fields.map((f) => f.line);
    const model: [string, string][] = fields.map((f) => [f.name, f.value]);
    if (version === "1.0" && options.keepAlive10 === true) {
      lines.push("Connection: keep-alive\r\n");
      model.push(["connection", "keep-alive"]);
    }
    if (version === "1.1" || hostFirst) {
      const at = hostFirst ? 0 : lines.length;
      lines.splice(at, 0, "host: example.com\r\n");
      model.splice(at, 0, ["host", "example.com"]);
    }
    let bodyKind: ModelRequest["bodyKind"] = "none";
    if (body !== undefined) {
      bodyKind = body.chunked ? "chunked" : "length";
      const framing: [string, string] = body.chunked ? ["transfer-encoding", "chunked"] : ["content-length", String(body.body.length)];
      lines.push(`${framing[0]}: ${framing[1]}\r\n`);
      model.push(framing);
    }
    return {
      leadingEmptyLines,
      method,
      target,
      version,
      fields: model,
      fieldLines: lines,
      body: body?.body ?? "",
      bodyKind,
      wireBody: body?.wire ?? "",
      trailers: body?.trailers,
    } satisfies ModelRequest;
  });

export function serialize(r: ModelRequest): string {
  return `${"\r\n".repeat(r.leadingEmptyLines)}${r.method} ${r.target} HTTP/${r.version}\r\n${r.fieldLines.join("")}\r\n${r.wireBody}`;
}

/** One to four requests, and their bytes. */
export const streamOf = (options: RequestOptions = {}) =>
  fc.array(request(options), { minLength: 1, maxLength: 4 }).map((requests) => ({
    requests,
    bytes: Buffer.from(requests.map(serialize).join(""), "latin1"),
  }));

export const stream = streamOf();

/** Bytes that matter to HTTP framing, to splice into valid requests. */
const INTERESTING = [0x0d, 0x0a, 0x20, 0x09, 0x00, 0x3a, 0x3b, 0x2c, 0x22, 0x3d, 0x30, 0x31, 0x66, 0x7f, 0x80, 0xff, 0x0b, 0x23, 0x3f, 0x2f];

const mutation = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  kind: fc.constantFrom("replace", "insert", "delete", "duplicate"),
  byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
  length: fc.integer({ min: 1, max: 12 }),
});

export function mutate(input: Buffer, mutations: readonly { at: number; kind: string; byte: number; length: number }[]): Buffer {
  let b = input;
  for (const m of mutations) {
    const i = Math.floor(m.at * b.length);
    const before = b.subarray(0, i);
    switch (m.kind) {
      case "replace":
        b = Buffer.concat([before, Buffer.from([m.byte]), b.subarray(i + 1)]);
        break;
      case "insert":
        b = Buffer.concat([before, Buffer.from([m.byte]), b.subarray(i)]);
        break;
      case "delete":
        b = Buffer.concat([before, b.subarray(i + m.length)]);
        break;
      default:
        b = Buffer.concat([b.subarray(0, i + m.length), b.subarray(i)]);
    }
  }
  return b;
}

/** A valid stream with one to three mutations. */
export const mutatedOf = (options: RequestOptions = {}) =>
  fc.tuple(streamOf(options), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([s, ms]) => mutate(s.bytes, ms));

export const mutated = mutatedOf();
