import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pluginSchemaIds, renderConfigDoc } from "../../scripts/gen-config-doc.ts";

describe("docs/config.md", () => {
  it("is what the schemas say (regenerate with scripts/gen-config-doc.ts)", () => {
    const onDisk = readFileSync(new URL("../../docs/config.md", import.meta.url), "utf8");
    expect(onDisk).toBe(renderConfigDoc());
  });

  it("lists every plugin and every limit", () => {
    const doc = renderConfigDoc();
    for (const id of pluginSchemaIds()) expect(doc).toContain(`## Plugin \`${id}\``);
    for (const limit of ["maxHeaderBytes", "maxBodyBytes", "headersTimeoutMs", "keepAliveTimeoutMs"]) expect(doc).toContain(`\`limits.${limit}\``);
  });
});
