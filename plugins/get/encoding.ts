// Choosing a precompressed sibling by Accept-Encoding (RFC 9110 §12.5.3).

export type Coding = "br" | "gzip";

/** The sibling's file suffix per content coding. */
export const SUFFIX: Readonly<Record<Coding, string>> = Object.freeze({ br: ".br", gzip: ".gz" });

/**
 * The coding to send among `available` (in the server's order of preference), or undefined
 * for identity. Choices where the RFC leaves one:
 * - no Accept-Encoding field: identity (the client said nothing; most that can decode say so).
 * - the highest q-value wins; on a tie the earlier coding in `available` wins. Identity competes
 *   only when listed ("identity;q=1, br;q=0.5" gets identity); a coding beats it on a tie
 *   (the same content, smaller).
 * - "identity;q=0" (or "*;q=0") with no acceptable coding available: identity anyway rather
 *   than 406, as nginx and Caddy do; the client gets the bytes and can decide.
 */
export function chooseCoding(acceptEncoding: string | undefined, available: readonly Coding[]): Coding | undefined {
  if (acceptEncoding === undefined || available.length === 0) return undefined;
  const q = parseAcceptEncoding(acceptEncoding);
  const star = q.get("*");
  let best: Coding | undefined;
  let bestQ = 0;
  for (const coding of available) {
    const value = q.get(coding) ?? star ?? 0;
    if (value > bestQ) {
      best = coding;
      bestQ = value;
    }
  }
  if (best === undefined) return undefined;
  // Identity wins only when the client ranks it explicitly above every coding on offer; left
  // out, it is the fallback, not a competitor (most clients never list it).
  const identity = q.get("identity");
  return identity === undefined || bestQ >= identity ? best : undefined;
}

/** coding (lower-case) -> q-value. Elements with a malformed q-value are dropped. */
export function parseAcceptEncoding(value: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const element of value.split(",")) {
    const parts = element.split(";");
    const coding = (parts[0] as string).trim().toLowerCase();
    if (coding === "") continue;
    let q = 1;
    let ok = true;
    for (let k = 1; k < parts.length; k++) {
      const param = (parts[k] as string).trim();
      const eq = param.indexOf("=");
      if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== "q") continue;
      q = parseQ(param.slice(eq + 1).trim());
      if (Number.isNaN(q)) ok = false;
    }
    if (!ok) continue;
    // RFC 9110 §8.4.1.3: "x-gzip" is an alias of "gzip".
    const name = coding === "x-gzip" ? "gzip" : coding;
    const prev = out.get(name);
    out.set(name, prev === undefined ? q : Math.max(prev, q));
  }
  return out;
}

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

function parseQ(text: string): number {
  return QVALUE.test(text) ? Number(text) : Number.NaN;
}
