// Named tap stages (DESIGN §2). Order inside a hook is by stage, never by load order:
// tapable runs lower stages first. Pass them as `{ name, stage: STAGE_GATEWAY }`.

/** Gateways (php-cgi) answer before the static file handler. */
export const STAGE_GATEWAY = -100;
/** Early checks that must see a request before ordinary taps (method gates such as `post`). */
export const STAGE_GATE = -200;
/** Ordinary taps. */
export const STAGE_DEFAULT = 0;
/** Fallbacks that answer only when nobody else did (static files, listings). */
export const STAGE_FALLBACK = 100;
/** Observers that must see the final value (timing, last-word headers). */
export const STAGE_LAST = 1000;

export const STAGES = Object.freeze({
  gate: STAGE_GATE,
  gateway: STAGE_GATEWAY,
  default: STAGE_DEFAULT,
  fallback: STAGE_FALLBACK,
  last: STAGE_LAST,
} as const);
