// HTTP-date (RFC 9110 §5.6.7): generated as IMF-fixdate, parsed in all three forms a
// recipient must accept (IMF-fixdate, obsolete RFC 850, asctime).

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z][a-z]) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/;
const RFC850 = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d\d)-([A-Z][a-z][a-z])-(\d\d) (\d\d):(\d\d):(\d\d) GMT$/;
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z][a-z]) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/;

/** "Sun, 06 Nov 1994 08:49:37 GMT" for a time in ms (the second it falls in). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Seconds since the epoch, or undefined when `text` is not an HTTP-date. */
export function parseHttpDate(text: string): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return seconds(Number(m[3]), m[2] as string, m[1] as string, m[4] as string, m[5] as string, m[6] as string);
  m = RFC850.exec(text);
  if (m !== null) {
    // RFC 9110 §5.6.7: a two-digit year that would be more than 50 years in the future is
    // the most recent past year with those digits.
    const now = new Date().getUTCFullYear();
    let year = Math.floor(now / 100) * 100 + Number(m[3]);
    if (year > now + 50) year -= 100;
    return seconds(year, m[2] as string, m[1] as string, m[4] as string, m[5] as string, m[6] as string);
  }
  m = ASCTIME.exec(text);
  if (m !== null) return seconds(Number(m[6]), m[1] as string, (m[2] as string).trim(), m[3] as string, m[4] as string, m[5] as string);
  return undefined;
}

function seconds(year: number, month: string, day: string, h: string, min: string, s: string): number | undefined {
  const mon = MONTHS[month];
  const d = Number(day);
  const hh = Number(h);
  const mm = Number(min);
  const ss = Number(s);
  if (mon === undefined || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  const ms = Date.UTC(year, mon, d, hh, mm, ss);
  // Date.UTC rolls "31 Feb" over into March: such a date is not a date.
  if (new Date(ms).getUTCDate() !== d && ss !== 60) return undefined;
  return Math.floor(ms / 1000);
}
