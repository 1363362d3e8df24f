import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { ConfigSource, didYouMean, editDistance, formatSchemaErrors } from "../../../core/config/index.ts";

describe("didYouMean", () => {
  it.each([
    ["maxHeadrBytes", "maxHeaderBytes"],
    ["MaxHeaderBytes", "maxHeaderBytes"],
    ["gte", "get"],
    ["pots", "post"],
    ["lg", "log"],
    ["php_cgi", "php-cgi"],
  ])("%s -> %s", (word, expected) => {
    expect(didYouMean(word, ["get", "post", "log", "php-cgi", "maxHeaderBytes", "maxBodyBytes"])).toBe(expected);
  });

  it.each(["metrics", "xyz", "timeout"])("nothing close to %s", (word) => {
    expect(didYouMean(word, ["get", "post", "log", "timing"])).toBeUndefined();
  });

  it("counts a swap of neighbours once", () => {
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("ConfigSource", () => {
  const text = '{\n  "a": [10, {"b": true}],\n  "c~/d": 1\n}';
  const { source } = ConfigSource.parse(text, "x.json");

  it("locates values and keys, escaped segments included", () => {
    expect(source.locate(["a", 1, "b"])).toMatchObject({ line: 2, column: 19 });
    expect(source.locate(["a", 1, "b"], "key")).toMatchObject({ line: 2, column: 14 });
    expect(source.locate(["c~/d"], "key")).toMatchObject({ line: 3, column: 3 });
  });

  it("falls back to the nearest ancestor for paths not in the text", () => {
    expect(source.locate(["a", 1, "missing", "deeper"])).toMatchObject({ line: 2, column: 13 });
    expect(source.locate(["nothing"])).toMatchObject({ line: 1, column: 1 });
  });
});

describe("formatSchemaErrors", () => {
  it("formats a sub-tree's errors at their place in the whole file", () => {
    const text = '{\n  "servers": [{\n    "plugins": { "x": { "size": "big", "colour": "red" } }\n  }]\n}';
    const { source } = ConfigSource.parse(text, "s.json");
    const ajv = new Ajv2020({ allErrors: true, verbose: true });
    const validate = ajv.compile({
      type: "object",
      additionalProperties: false,
      properties: { size: { type: "integer" }, color: { type: "string" } },
    });
    expect(validate({ size: "big", colour: "red" })).toBe(false);
    expect(formatSchemaErrors(source, ["servers", 0, "plugins", "x"], validate.errors ?? [], { noun: "option" })).toEqual([
      's.json:3:33: /servers/0/plugins/x/size: expected integer, got string "big"',
      's.json:3:40: /servers/0/plugins/x/colour: unknown option; did you mean "color"?',
    ]);
  });

  it("reports the fitting branch of a oneOf", () => {
    const ajv = new Ajv2020({ allErrors: true, verbose: true });
    const validate = ajv.compile({
      oneOf: [
        { type: "string" },
        { type: "object", additionalProperties: false, required: ["path"], properties: { path: { type: "string" } } },
      ],
    });
    expect(validate({ pth: "x" })).toBe(false);
    expect(formatSchemaErrors("f.json", ["p"], validate.errors ?? [])).toEqual([
      'f.json: /p: missing required key "path"',
      'f.json: /p/pth: unknown key; did you mean "path"?',
    ]);
  });
});
