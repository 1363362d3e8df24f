// plugd's public API. Named exports only.
export { createServer, Server, type CreateServerOptions } from "./server.ts";
export { startFromConfig, type Started } from "./start.ts";
export { definePlugin, type PluginDefinition, type PluginSchema } from "./define-plugin.ts";
export { HOOK_NAMES, type Hooks, type HookName, type MaybeResponse } from "./hooks.ts";
export { STAGE_DEFAULT, STAGE_FALLBACK, STAGE_GATE, STAGE_GATEWAY, STAGE_LAST, STAGES } from "./stages.ts";
export { ERRORS, HttpError, PlugdError, errorCode, type ErrorCode } from "./errors.ts";
export { Request, type RequestInfo, type RequestUser, type ConnectionInfo } from "./http/request.ts";
export { HeaderFields, type RequestHead, type TargetForm } from "./http/head.ts";
export {
  empty, error, file, html, json, redirect, text,
  type FileBody, type Response, type ResponseBody, type ResponseHeaders, type TunnelHandler,
} from "./http/response.ts";
export type { RawRequest, ReportedError, Timing, TunnelStats } from "./http/lifecycle-types.ts";
export type { Limits, ListenAddress, PlugdConfig, PluginEntry, ServerConfig } from "./config/types.ts";
export { normalizePath, type PathResult, type PathProblem } from "./http/path.ts";
export { reasonPhrase, KNOWN_METHODS } from "./http/status.ts";
