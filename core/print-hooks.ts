// `plugd --print-hooks`: every hook of a server with its taps in the order they run,
// naming the plugin and the stage of each. Read straight from tapable's tap lists.
import type { Hooks } from "./hooks.ts";
import { HOOK_NAMES } from "./hooks.ts";
import { TAP_OWNER } from "./instrument.ts";
import type { Server } from "./server.ts";

interface TapList {
  readonly taps: readonly { readonly name: string; readonly stage?: number; readonly type: string; readonly fn: object }[];
}

function describeTaps(hook: TapList): string {
  if (hook.taps.length === 0) return "(no taps)";
  return hook.taps
    .map((tap) => {
      const plugin = TAP_OWNER.get(tap.fn) ?? tap.name;
      const label = plugin === tap.name ? plugin : `${plugin}/${tap.name}`;
      return `${label} (stage ${tap.stage ?? 0}, ${tap.type})`;
    })
    .join(" -> ");
}

/** One block per server: hooks in lifecycle order; `handle` expanded per method. */
export function printHooks(servers: readonly Server[]): string {
  const lines: string[] = [];
  for (const server of servers) {
    lines.push(`server "${server.name}" (plugins: ${server.plugins.join(", ") || "none"})`);
    const hooks: Hooks = server.hooks;
    for (const name of HOOK_NAMES) {
      if (name === "handle") {
        const methods = server.handledMethods();
        if (methods.length === 0) lines.push(`  handle              (no taps)`);
        for (const method of methods) {
          const hook = hooks.handle.get(method) as unknown as TapList;
          lines.push(`  ${`handle ${method}`.padEnd(20)}${describeTaps(hook)}`);
        }
        continue;
      }
      lines.push(`  ${name.padEnd(20)}${describeTaps(hooks[name] as unknown as TapList)}`);
    }
  }
  return lines.join("\n") + "\n";
}
