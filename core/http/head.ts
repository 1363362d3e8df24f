// The parsed request head: what the parser produces and Request exposes.

/**
 * Header fields in the order received. Names are lower-cased; values have their surrounding
 * whitespace removed (RFC 9112 §5.1). Repeated fields are kept, in order.
 * Stored as one flat array [name0, value0, name1, value1, ...]: building it costs one push per
 * field, and requests carry few enough fields that a linear lookup beats building a map.
 */
export class HeaderFields {
  readonly #flat: string[];

  constructor(flat: string[] = []) {
    this.#flat = flat;
  }

  /** The field's value; repeated fields joined with ", " (RFC 9110 §5.3). */
  get(name: string): string | undefined {
    const flat = this.#flat;
    let found: string | undefined;
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === name) found = found === undefined ? flat[i + 1] : `${found}, ${flat[i + 1]}`;
    }
    return found;
  }

  /** Every value of the field, in order. */
  getAll(name: string): string[] {
    const flat = this.#flat;
    const out: string[] = [];
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) out.push(flat[i + 1] as string);
    return out;
  }

  has(name: string): boolean {
    const flat = this.#flat;
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
    return false;
  }

  /** Number of field lines. */
  get size(): number {
    return this.#flat.length >> 1;
  }

  *entries(): IterableIterator<[string, string]> {
    const flat = this.#flat;
    for (let i = 0; i < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** The flat [name, value, ...] list (read-only view for serializers and gateways). */
  get flat(): readonly string[] {
    return this.#flat;
  }

  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name] of this) out[name] ??= this.get(name) as string;
    return out;
  }
}

/** RFC 9112 §3.2 request-target forms. */
export type TargetForm = "origin" | "absolute" | "authority" | "asterisk";

export interface RequestHead {
  /** As sent (case-sensitive token, RFC 9110 §9.1). */
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  readonly targetForm: TargetForm;
  /** "1.0" or "1.1". */
  readonly version: "1.0" | "1.1";
  readonly headers: HeaderFields;
  /**
   * The path part of the target, still percent-encoded ("/" for asterisk form; the path of an
   * absolute-form target; "" for authority form). Decoding and normalizing is the Request's job.
   */
  readonly rawPath: string;
  /** The query without "?", or "" when there is none. */
  readonly query: string;
  /** The authority: Host field value, or the target's authority for absolute/authority form. */
  readonly authority: string;
  /** Body framing decided from the head (RFC 9112 §6.3). */
  readonly bodyKind: "none" | "length" | "chunked";
  /** Content-Length when bodyKind is "length", else 0. */
  readonly contentLength: number;
  /** Whether the client lets the connection persist after this request (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  /** `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
  /** The raw head bytes, request line to the blank line, exactly as received. */
  readonly raw: Buffer;
}
