// schemas/server.config.schema.json: documented, its defaults agree with the code, strict.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { CONFIG_SCHEMA_URL } from "../../../core/config/index.ts";
import { DEFAULT_LIMITS } from "../../../core/config/types.ts";

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[]; $defs?: Record<string, Schema> };

const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_URL, "utf8")) as Schema;
const defs = schema.$defs ?? {};

/** Every [path, property schema, required?] of every object schema in the file. */
function properties(): [string, Schema, boolean][] {
  const objects: [string, Schema][] = [["#", schema], ...Object.entries(defs).map(([k, v]): [string, Schema] => [`#/$defs/${k}`, v])];
  return objects.flatMap(([at, s]) =>
    Object.entries(s.properties ?? {}).map(([key, p]): [string, Schema, boolean] => [`${at}/properties/${key}`, p, (s.required ?? []).includes(key)]),
  );
}

describe("server.config.schema.json", () => {
  it("compiles under ajv's strictest settings", () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, useDefaults: true });
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it("describes every property", () => {
    const undocumented = properties().filter(([, p]) => typeof p.description !== "string");
    expect(undocumented.map(([at]) => at)).toEqual([]);
  });

  it("gives every optional property a default, except $schema and module (no default has a meaning)", () => {
    const missing = properties().filter(([at, p, required]) => !required && !("default" in p) && !/\/(\$schema|module)$/.test(at));
    expect(missing.map(([at]) => at)).toEqual([]);
  });

  it("has the limits defaults of core/config/types.ts, for exactly its keys", () => {
    const limits = defs.limits?.properties ?? {};
    expect(Object.fromEntries(Object.entries(limits).map(([k, p]) => [k, p.default]))).toEqual(DEFAULT_LIMITS);
  });

  it("closes every object but the plugins map and plugin option objects", () => {
    const open: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== "object" || node === null) return;
      const s = node as Schema;
      if ([s.type].flat().includes("object") && s.additionalProperties !== false) open.push(at);
      for (const [key, child] of Object.entries(s)) {
        if (key === "properties" || key === "$defs") {
          for (const [name, sub] of Object.entries(child as Record<string, unknown>)) walk(sub, `${at}/${key}/${name}`);
        } else walk(child, `${at}/${key}`);
      }
    };
    walk(schema, "#");
    expect(open).toEqual(["#/$defs/server/properties/plugins", "#/$defs/plugin"]);
  });
});
