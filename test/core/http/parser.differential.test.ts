// Differential test against Node's own parser (llhttp, strict mode: no lenient flags). For every
// input of the corpus (the wire-case table, generated valid streams and mutations of them) both
// must agree on accept vs reject -- unless the input falls in one of the INTENDED_DIFFERENCES,
// each of which names the rule (RFC) that makes one side stricter. The classification is
// mechanical: a difference applies only to the side it names, and only when its predicate
// holds. Every listed difference must still be seen in the table corpus, so none goes stale.
import { METHODS } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../../../core/errors.ts";
import type { ParserLimits } from "../../../core/http/parser-types.ts";
import { WIRE_CASES } from "./parser-cases.ts";
import { type Outcome, runParser } from "./parser-harness.ts";
import { mutatedOf, streamOf } from "./parser-model.ts";

// llhttp knows a fixed list of methods and refuses data after a non-persistent message; keep
// the corpus mostly clear of both, so that mutations reach the rules that matter.
const stream = streamOf({ methods: "known", keepAlive10: true });
const mutated = mutatedOf({ methods: "known", keepAlive10: true });

/** Limits high enough that only llhttp's own limits could apply. */
const LIMITS: ParserLimits = { maxHeaderBytes: 1 << 20, maxHeaderCount: 100_000, maxTargetLength: 1 << 19, maxBodyBytes: 2 ** 52 };

interface LlhttpVerdict {
  /** The llhttp error code (HPE_*), or undefined when it accepted everything. */
  error: string | undefined;
  /** llhttp stopped at a CONNECT or Upgrade head and handed the rest over. */
  upgrade: boolean;
}

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): undefined | Error;
  close(): void;
  [key: number]: unknown;
}
interface LlhttpBinding {
  HTTPParser: { new (): LlhttpParser; REQUEST: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number };
}

function loadLlhttp(): LlhttpBinding {
  const quiet = process.noDeprecation;
  process.noDeprecation = true; // process.binding is deprecated (DEP0111) but is the only door
  try {
    return (process as unknown as { binding(name: string): LlhttpBinding }).binding("http_parser");
  } finally {
    process.noDeprecation = quiet;
  }
}
const { HTTPParser } = loadLlhttp();

function llhttp(input: Buffer): LlhttpVerdict {
  const p = new HTTPParser();
  p.initialize(HTTPParser.REQUEST, {}, 1 << 20, 0); // lenient flags 0: strict
  let upgrade = false;
  p[HTTPParser.kOnHeaders] = () => {};
  p[HTTPParser.kOnHeadersComplete] = (...args: unknown[]) => {
    if (args[7] === true) upgrade = true;
    return 0;
  };
  p[HTTPParser.kOnBody] = () => {};
  p[HTTPParser.kOnMessageComplete] = () => {};
  const r = p.execute(input);
  let error: string | undefined;
  if (r instanceof Error) error = (r as Error & { code: string }).code;
  else if (!upgrade) {
    const f = p.finish(); // EOF: a message cut short is an error for llhttp too
    if (f instanceof Error) error = (f as Error & { code: string }).code;
  }
  p.close();
  return { error, upgrade };
}

interface Verdicts {
  text: string;
  ours: Outcome;
  theirs: LlhttpVerdict;
}

interface IntendedDifference {
  name: string;
  /** The rule that makes `strict` refuse what the other accepts. */
  reason: string;
  strict: "plugd" | "llhttp";
  applies(v: Verdicts): boolean;
}

const ourCode = (v: Verdicts, ...codes: ErrorCode[]): boolean => v.ours.error !== undefined && codes.includes(v.ours.error.code as ErrorCode);
const theirCode = (v: Verdicts, ...codes: string[]): boolean => v.theirs.error !== undefined && codes.includes(v.theirs.error);
/**
 * Lines that hold a request line (maybe after the end of a previous body). Body bytes that are
 * not visible ASCII (a body "\v\0" right before "GET ...") are cut off the front, so the line
 * starts at what the parser reads as the method.
 */
const requestLines = (text: string): string[] => text.split("\n").filter((l) => / HTTP\//.test(l)).map((l) => l.replace(/^[^!-~]+/, ""));
/** The methods of what looks like request lines: the token right before "SP target SP HTTP/". */
const methods = (text: string): string[] => [...text.matchAll(/([!#$%&'*+\-.^_`|~0-9A-Za-z]+) [^ \r\n]+ HTTP\//g)].map((m) => m[1] as string);
/** Bytes of chunk-size lines that carry nothing: leading zeros and extensions (roughly). */
const ignoredChunkBytes = (text: string): number =>
  [...text.matchAll(/\n(0*)[0-9a-fA-F]*((?:[ \t]*;)[^\r\n]*)?/g)].reduce((n, m) => n + (m[1]?.length ?? 0) + (m[2]?.length ?? 0), 0);
const fieldValues = (text: string, name: string): string[] =>
  [...text.matchAll(new RegExp(`(?:^|\\n)${name}:([^\\r\\n]*)`, "gi"))].map((m) => m[1] as string);

const INTENDED_DIFFERENCES: readonly IntendedDifference[] = [
  {
    name: "stray CR or LF at the end of the stream",
    reason:
      "RFC 9112 §2.2 lets a server ignore empty lines (CRLF) before a request line; a lone CR or LF left when the peer closes is not one, and we report the unfinished head (PLUGD_ERR_HTTP_HEAD_INCOMPLETE); llhttp skips any CR/LF between messages, also at EOF",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_HEAD_INCOMPLETE") && /[\r\n]$/.test(v.text),
  },
  {
    name: "Host is required, single and valid",
    reason: "RFC 9112 §3.2: 400 for a 1.1 request without Host, with several, or with an invalid one; llhttp does not look at Host",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_MISSING_HOST", "PLUGD_ERR_HTTP_REPEATED_HOST", "PLUGD_ERR_HTTP_BAD_HOST"),
  },
  {
    name: "only HTTP/1.0 and HTTP/1.1",
    reason: "RFC 9112 §2.3, RFC 9110 §15.6.6: 505 for other major versions; llhttp accepts HTTP/0.9 and HTTP/2.0 request lines",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_VERSION_NOT_SUPPORTED") && /HTTP\/(0\.9|2\.0)/.test(v.text),
  },
  {
    name: "request-target form must suit the method",
    reason:
      "RFC 9112 §3.2: authority-form only (and always) for CONNECT, asterisk-form only for OPTIONS, no fragment; RFC 9110 §4.2: http(s) URIs need a host and no userinfo; llhttp checks URL characters only",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_BAD_TARGET") && requestLines(v.text).some((l) => /\S (?!\/[!-"$-~]* )[!-~]+ HTTP\//.test(l) || l.includes("CONNECT ")),
  },
  {
    name: "exactly one SP between request-line parts",
    reason: "RFC 9112 §3: method SP request-target SP HTTP-version; llhttp skips extra spaces",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_BAD_REQUEST_LINE", "PLUGD_ERR_HTTP_BAD_VERSION", "PLUGD_ERR_HTTP_BAD_TARGET") && requestLines(v.text).some((l) => /^\S+ {2}|^\S+ \S+ {2}/.test(l)),
  },
  {
    name: "only HTTP, only with a version",
    reason: "RFC 9112 §2.3: HTTP-name is \"HTTP\" and the version is required; llhttp also speaks RTSP/ICE and HTTP/0.9 simple requests",
    strict: "plugd",
    applies: (v) =>
      ourCode(v, "PLUGD_ERR_HTTP_BAD_VERSION", "PLUGD_ERR_HTTP_BAD_REQUEST_LINE") && (/ (RTSP|ICE)\//.test(v.text) || /(^|\n)[!-~]+ [!-~]+\r\n/.test(v.text)),
  },
  {
    name: "few empty lines, CRLF only, before a request",
    reason: "RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) before a request line; we allow 4 and no bare LF; llhttp skips any number of CR/LF",
    strict: "plugd",
    applies: (v) =>
      (ourCode(v, "PLUGD_ERR_HTTP_BAD_REQUEST_LINE") && v.text.includes("\r\n".repeat(5))) ||
      (ourCode(v, "PLUGD_ERR_HTTP_BAD_LINE_ENDING") && /(^|\n)\r?\n/.test(v.text)),
  },
  {
    name: "Expect other than 100-continue",
    reason: "RFC 9110 §10.1.1: a server MAY answer 417 to an expectation it does not support; llhttp ignores Expect",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_EXPECTATION_FAILED"),
  },
  {
    name: "Transfer-Encoding in HTTP/1.0 and unknown codings",
    reason: "RFC 9112 §6.1: TE in a 1.0 request is a framing fault; a coding the server does not implement gets 501; llhttp accepts both",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_TE_IN_HTTP10", "PLUGD_ERR_HTTP_UNKNOWN_TRANSFER_CODING"),
  },
  {
    name: "Content-Length of more than 15 digits",
    reason: "RFC 9110 §8.6 lets a recipient bound the digits to what it can hold; llhttp accepts any number of leading zeros",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_BAD_CONTENT_LENGTH") && fieldValues(v.text, "content-length").some((x) => /\d{16}/.test(x)),
  },
  {
    name: "CONNECT carries no content",
    reason: "RFC 9110 §9.3.6: a CONNECT request has no content; we refuse framing on it; llhttp ignores it and switches to tunnel mode",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_BAD_CONTENT_LENGTH", "PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING") && v.text.includes("CONNECT "),
  },
  {
    name: "chunk-ext grammar, and a cap on ignored chunk bytes",
    reason:
      "RFC 9112 §7.1.1: chunk-ext-name is a token and a value follows \"=\"; extension bytes and leading zeros of sizes are capped at 16 KiB a message (CVE-2024-22019); llhttp accepts \";=x\", \";x=\" and has no cap",
    strict: "plugd",
    applies: (v) => ourCode(v, "PLUGD_ERR_HTTP_BAD_CHUNK") && (/;[ \t]*=|=[ \t]*[\r;]/.test(v.text) || ignoredChunkBytes(v.text) > 16 * 1024),
  },
  {
    name: "llhttp stopped at CONNECT or Upgrade",
    reason: "llhttp hands the connection over after a CONNECT or Upgrade head and never reads what follows; plugd checks the CONNECT head itself and leaves Upgrade to plugins",
    strict: "plugd",
    applies: (v) => v.theirs.upgrade,
  },
  {
    name: "any token is a method",
    reason: "RFC 9110 §9.1: method = token; unknown methods get 501 from the lifecycle, not 400 from the parser; llhttp knows a fixed list",
    strict: "llhttp",
    applies: (v) => theirCode(v, "HPE_INVALID_METHOD") && methods(v.text).some((m) => !METHODS.includes(m)),
  },
  {
    name: "data after Connection: close",
    reason: "RFC 9112 §9.6: after \"close\" the server stops processing requests -- connection policy, done by the connection, not the parser",
    strict: "llhttp",
    applies: (v) => theirCode(v, "HPE_CLOSED_CONNECTION"),
  },
  {
    name: "HTAB as OWS around Content-Length and Transfer-Encoding",
    reason: "RFC 9112 §5.1: OWS (SP or HTAB) around a field value is not part of it; llhttp accepts only SP there",
    strict: "llhttp",
    applies: (v) =>
      theirCode(v, "HPE_INVALID_CONTENT_LENGTH", "HPE_INVALID_TRANSFER_ENCODING") &&
      [...fieldValues(v.text, "content-length"), ...fieldValues(v.text, "transfer-encoding")].some((x) => x.includes("\t")),
  },
  {
    name: "empty elements in the Transfer-Encoding list",
    reason: "RFC 9110 §5.6.1: a recipient MUST accept and ignore empty list elements",
    strict: "llhttp",
    applies: (v) => theirCode(v, "HPE_INVALID_TRANSFER_ENCODING") && fieldValues(v.text, "transfer-encoding").some((x) => /(^|,)[ \t]*(,|$)/.test(x.trim() === "" ? "," : x)),
  },
  {
    name: "BWS inside chunk extensions",
    reason: "RFC 9112 §7.1.1: chunk-ext = *( BWS \";\" BWS name [ BWS \"=\" BWS value ] ); llhttp refuses whitespace there",
    strict: "llhttp",
    applies: (v) => theirCode(v, "HPE_INVALID_CHUNK_SIZE", "HPE_STRICT") && /\r\n[0-9a-fA-F]+([ \t]+;|[^\r\n]*;[^\r\n]*[ \t])/.test(v.text),
  },
];

interface Judgement {
  agree: boolean;
  /** The intended differences that explain the disagreement (empty: none does). */
  differences: string[];
  detail: string;
}

/** Runs both parsers on the input and explains any disagreement. */
function judge(input: Buffer): Judgement {
  const text = input.toString("latin1");
  const v: Verdicts = { text, ours: runParser([input], { limits: LIMITS, eof: true }), theirs: llhttp(input) };
  const oursRejects = v.ours.error !== undefined;
  const shown = text.length > 400 ? `${text.slice(0, 400)}...` : text;
  const detail = `plugd: ${v.ours.error?.code ?? "accept"}; llhttp: ${v.theirs.error ?? "accept"}${v.theirs.upgrade ? " (upgrade)" : ""}; input ${JSON.stringify(shown)}`;
  if (oursRejects === (v.theirs.error !== undefined)) return { agree: true, differences: [], detail };
  const strict = oursRejects ? "plugd" : "llhttp";
  const differences = INTENDED_DIFFERENCES.filter((x) => x.strict === strict && x.applies(v)).map((x) => x.name);
  return { agree: false, differences, detail };
}

const explained = (j: Judgement): boolean => j.agree || j.differences.length > 0;

describe("differential: plugd vs llhttp (strict)", () => {
  const tableVerdicts = WIRE_CASES.map((c) => ({ name: c.name, ...judge(typeof c.input === "string" ? Buffer.from(c.input, "latin1") : c.input) }));

  it("agrees on every table input, except for intended differences", () => {
    const unexplained = tableVerdicts.filter((t) => !explained(t)).map((t) => `${t.name}: ${t.detail}`);
    expect(unexplained).toEqual([]);
  });

  it("has no stale intended difference: each one shows up in the table", () => {
    const seen = new Set(tableVerdicts.flatMap((t) => t.differences));
    expect(INTENDED_DIFFERENCES.map((d) => d.name).filter((n) => !seen.has(n))).toEqual([]);
  });

  it("agrees on generated valid streams", () => {
    fc.assert(
      fc.property(stream, ({ bytes }) => {
        const j = judge(bytes);
        expect(explained(j), j.detail).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("agrees on mutations of valid streams, except for intended differences", () => {
    fc.assert(
      fc.property(mutated, (input) => {
        const j = judge(input);
        expect(explained(j), j.detail).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});

