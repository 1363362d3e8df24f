import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS, HttpError, PlugdError } from "../../core/errors.ts";
import { renderErrorsDoc } from "../../scripts/gen-errors-doc.ts";

describe("error registry", () => {
  it("docs/errors.md documents every code (regenerate with scripts/gen-errors-doc.ts)", () => {
    const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
    expect(doc).toBe(renderErrorsDoc());
    for (const code of Object.keys(ERRORS)) expect(doc).toContain(`\`${code}\``);
  });

  it("codes follow PLUGD_ERR_<AREA>_<PROBLEM>", () => {
    for (const code of Object.keys(ERRORS)) expect(code).toMatch(/^PLUGD_ERR_[A-Z]+_[A-Z0-9_]+$/);
  });

  it("a PlugdError takes status and exposure from the registry", () => {
    const err = new PlugdError("PLUGD_ERR_HTTP_BODY_TOO_LARGE");
    expect(err.code).toBe("PLUGD_ERR_HTTP_BODY_TOO_LARGE");
    expect(err.status).toBe(413);
    expect(err.expose).toBe(true);
    expect(new PlugdError("PLUGD_ERR_HOOK_TAP_FAILED").expose).toBe(false);
  });

  it("an HttpError exposes only 4xx messages", () => {
    expect(new HttpError(403, "no").expose).toBe(true);
    expect(new HttpError(502, "upstream").expose).toBe(false);
  });
});
