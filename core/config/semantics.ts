// The checks a JSON Schema cannot make: repeated keys, listen addresses, names that must be
// unique across servers. They run on whatever parts of the value have the right type, so one
// run reports these together with the schema's errors.
import type { Node } from "jsonc-parser";
import { lineColumn, type ConfigIssue } from "./issues.ts";
import { listenKey, parseListenAddress } from "./listen.ts";
import { jsonPointer, type ConfigSource, type JsonPath } from "./source.ts";

export function semanticIssues(source: ConfigSource, value: unknown): ConfigIssue[] {
  const issues = duplicateKeys(source, source.tree, []);
  if (!isRecord(value) || !Array.isArray(value.servers)) return issues;
  const names = new Map<string, JsonPath>();
  const addresses = new Map<string, { path: JsonPath; text: string }>();
  value.servers.forEach((server: unknown, s) => {
    if (!isRecord(server)) return;
    if (typeof server.name === "string") {
      const path = ["servers", s, "name"];
      const first = names.get(server.name);
      if (first === undefined) names.set(server.name, path);
      else issues.push({ path, message: `duplicate server name ${JSON.stringify(server.name)}: already used at ${where(source, first)}` });
    }
    if (!Array.isArray(server.listen)) return;
    server.listen.forEach((text: unknown, i) => {
      if (typeof text !== "string") return;
      const path = ["servers", s, "listen", i];
      const parsed = parseListenAddress(text);
      if (!parsed.ok) {
        issues.push({ path, message: `invalid listen address ${JSON.stringify(text)}: ${parsed.reason}` });
        return;
      }
      if (parsed.address.port === 0) return; // each port-0 listener gets a port of its own
      const key = listenKey(parsed.address);
      const first = addresses.get(key);
      if (first === undefined) {
        addresses.set(key, { path, text });
        return;
      }
      const same = first.text === text ? "" : ` (${JSON.stringify(first.text)})`;
      issues.push({ path, message: `duplicate listen address ${JSON.stringify(text)}: already used${same} at ${where(source, first.path)}` });
    });
  });
  return issues;
}

/** "4:18 (/servers/0/listen/0)": the first occurrence of a repeated thing. */
function where(source: ConfigSource, path: JsonPath): string {
  return `${lineColumn(source, path)} (${jsonPointer(path)})`;
}

/**
 * RFC 8259 §4 leaves repeated keys to the parser; JSON.parse keeps the last silently, which
 * would hide a plugin's first options. They are an error here.
 */
function duplicateKeys(source: ConfigSource, node: Node | undefined, path: JsonPath): ConfigIssue[] {
  if (node === undefined) return [];
  if (node.type === "array") return (node.children ?? []).flatMap((c, i) => duplicateKeys(source, c, [...path, i]));
  if (node.type !== "object") return [];
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, Node>();
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode === undefined) continue;
    const key = String(keyNode.value);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, keyNode);
    } else {
      const at = source.position(first.offset);
      // A path names the value JSON.parse kept (the last), so point at this key by offset.
      issues.push({ path: [...path, key], offset: keyNode.offset, message: `duplicate key ${JSON.stringify(key)}: already at ${at.line}:${at.column}` });
    }
    issues.push(...duplicateKeys(source, valueNode, [...path, key]));
  }
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
