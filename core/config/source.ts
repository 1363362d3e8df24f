// The configuration text kept beside its syntax tree, so that any JSON path can be turned back
// into the line and column a person sees in their editor.
import { parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import { PlugdError } from "../errors.ts";

/** A JSON path as segments: `["servers", 0, "limits", "maxHeaderBytes"]`. */
export type JsonPath = readonly (string | number)[];

/** A place in the text. `line` and `column` are 1-based; columns count UTF-16 code units. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Whether a position points at a property's key (unknown keys, plugin ids) or at its value. */
export type PositionTarget = "key" | "value";

/** JSON Pointer text for a path (RFC 6901); the root is shown as "/" so messages never have an empty field. */
export function jsonPointer(path: JsonPath): string {
  if (path.length === 0) return "/";
  return path.map((s) => "/" + String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

/** The segments of a JSON Pointer (as ajv's `instancePath` gives them). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

export class ConfigSource {
  /** The file as the caller named it, for messages. */
  readonly file: string;
  readonly text: string;
  /** The syntax tree (jsonc-parser), with offsets. */
  readonly tree: Node;
  readonly #lineStarts: number[];

  private constructor(file: string, text: string, tree: Node) {
    this.file = file;
    this.text = text;
    this.tree = tree;
    this.#lineStarts = lineStarts(text);
  }

  /**
   * Parses strict JSON (no comments, no trailing commas). Returns the source and the value
   * (from JSON.parse, so `__proto__` keys stay plain data). A syntax error throws
   * PLUGD_ERR_CONFIG_JSON naming the first problem's line and column; later ones are
   * usually echoes of the first, so they are not reported.
   */
  static parse(text: string, file: string): { source: ConfigSource; value: unknown } {
    // An editor on Windows may save a byte order mark; JSON.parse would reject it.
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const errors: ParseError[] = [];
    const tree = parseTree(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (first !== undefined || tree === undefined) {
      const at = positionIn(lineStarts(body), first === undefined ? 0 : errorOffset(body, first));
      const reason = first === undefined ? "expected a value" : describeSyntaxError(body, first);
      throw new PlugdError("PLUGD_ERR_CONFIG_JSON", `${file}:${at.line}:${at.column}: invalid JSON: ${reason}`, {
        file,
        line: at.line,
        column: at.column,
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      // jsonc-parser accepted what JSON.parse refused: report JSON.parse's own words.
      throw new PlugdError("PLUGD_ERR_CONFIG_JSON", `${file}: invalid JSON: ${(err as Error).message}`, { file }, { cause: err });
    }
    return { source: new ConfigSource(file, body, tree), value };
  }

  /** Line and column of a character offset. */
  position(offset: number): SourcePosition {
    return positionIn(this.#lineStarts, offset);
  }

  /** The tree node at `path`, or undefined when the text has nothing there. */
  node(path: JsonPath): Node | undefined {
    let node: Node | undefined = this.tree;
    for (const segment of path) {
      node = node === undefined ? undefined : child(node, segment);
    }
    return node;
  }

  /**
   * Where `path` is in the text: its value, or its key for `target: "key"`. A path that is not
   * in the text (a default ajv filled in, an option of a plugin entry written as `true`) gets
   * the position of its nearest ancestor that is.
   */
  locate(path: JsonPath, target: PositionTarget = "value"): SourcePosition {
    for (let n = path.length; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node === undefined) continue;
      const keyNode = n === path.length && target === "key" && node.parent?.type === "property" ? node.parent.children?.[0] : undefined;
      return this.position((keyNode ?? node).offset);
    }
    return this.position(0);
  }

  /** The property nodes of the object at `path` (in text order, duplicates included). */
  properties(path: JsonPath): Node[] {
    const node = this.node(path);
    return node?.type === "object" ? (node.children ?? []) : [];
  }
}

function child(node: Node, segment: string | number): Node | undefined {
  if (node.type === "array") {
    const index = typeof segment === "number" ? segment : /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : -1;
    return node.children?.[index];
  }
  if (node.type !== "object") return undefined;
  // The last of duplicate keys, as JSON.parse keeps the last.
  const key = String(segment);
  let found: Node | undefined;
  for (const property of node.children ?? []) {
    if (property.children?.[0]?.value === key) found = property.children[1];
  }
  return found;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) starts.push(text.charCodeAt(i + 1) === 10 ? ++i + 1 : i + 1);
  }
  return starts;
}

function positionIn(starts: readonly number[], offset: number): SourcePosition {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { offset, line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
}

/** jsonc-parser points at the start of a string holding a control character; point at the character. */
function errorOffset(text: string, error: ParseError): number {
  if (printParseErrorCode(error.error) !== "InvalidCharacter") return error.offset;
  for (let i = error.offset; i < error.offset + error.length; i++) {
    if (text.charCodeAt(i) < 0x20) return i;
  }
  return error.offset;
}

function describeSyntaxError(text: string, error: ParseError): string {
  const at = text[error.offset];
  const before = text.slice(0, error.offset).trimEnd();
  const trailingComma = before.endsWith(",") && (at === "}" || at === "]");
  switch (printParseErrorCode(error.error)) {
    case "InvalidSymbol":
      return `unexpected ${JSON.stringify(text.slice(error.offset, error.offset + Math.min(Math.max(error.length, 1), 20)))}`;
    case "InvalidNumberFormat":
    case "UnexpectedEndOfNumber":
      return "malformed number";
    case "PropertyNameExpected":
      return trailingComma ? "trailing comma before '}'" : "expected a property name in double quotes";
    case "ValueExpected":
      if (trailingComma) return "trailing comma before ']'";
      return error.offset >= text.length ? "unexpected end of file" : "expected a value";
    case "ColonExpected":
      return "expected ':' after the property name";
    case "CommaExpected":
      return "expected ','";
    case "CloseBraceExpected":
      return error.offset >= text.length ? "unexpected end of file; expected '}'" : "expected '}'";
    case "CloseBracketExpected":
      return error.offset >= text.length ? "unexpected end of file; expected ']'" : "expected ']'";
    case "EndOfFileExpected":
      return "unexpected text after the end of the top-level value";
    case "InvalidCommentToken":
    case "UnexpectedEndOfComment":
      return "comments are not allowed in JSON";
    case "UnexpectedEndOfString":
      return "unterminated string";
    case "InvalidUnicode":
      return "malformed \\u escape";
    case "InvalidEscapeCharacter":
      return "invalid escape sequence";
    case "InvalidCharacter":
      return "control character in a string (write it as an escape, e.g. \\t)";
    default:
      return printParseErrorCode(error.error);
  }
}
