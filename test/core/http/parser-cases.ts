// The parser's wire-case table: bytes in, heads/bodies or an error status out. The cases live in
// parser-cases-*.ts by topic; parser-cases-util.ts holds their shape and the byte builders.
import { FRAMING_CASES } from "./parser-cases-framing.ts";
import { HEAD_CASES } from "./parser-cases-head.ts";
import type { WireCase } from "./parser-cases-util.ts";

export type { ExpectedMessage, WireCase } from "./parser-cases-util.ts";

export const WIRE_CASES: readonly WireCase[] = [...HEAD_CASES, ...FRAMING_CASES];
