/**
 * The config files of jobd, jobd-master and jobctl: loaders that return
 * typed, validated settings plus warnings, and {@linkcode ConfigError},
 * whose message names the file and the key. Every default lives in
 * `defaults.ts`.
 *
 * @module
 */

export * from "./defaults.ts";
export { ConfigError } from "./ini_file.ts";
export * from "./worker_config.ts";
export * from "./master_config.ts";
export * from "./jobctl_config.ts";
export * from "./http_config.ts";
