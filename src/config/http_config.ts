/**
 * The HTTP keys both daemons read (`http_port`, `http_host`): one reader, so
 * that the worker's and the master's configs say the same thing.
 *
 * @module
 */

import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT } from "./defaults.ts";
import { type ConfigSection, integerType, stringType, type ValueType } from "./ini_file.ts";

/**
 * The HTTP server's settings of a daemon. A key absent from the file is
 * absent here too (configs written without them, as tests do, stay valid);
 * {@linkcode httpListenAddress} applies the defaults.
 */
export interface HttpConfig {
  /** `http_port`: the HTTP server's port; 0 or absent = no HTTP server. */
  readonly httpPort?: number;
  /** `http_host`: the address the HTTP server listens on; `127.0.0.1` when absent. */
  readonly httpHost?: string;
}

/** Addresses that listen on every interface, and so share a port with any other address. */
const ANY_ADDRESS = new Set(["0.0.0.0", "::", "[::]", ""]);

/** `http_port`: 0 (off) or a port. */
const httpPortType: ValueType<number> = {
  ...integerType({ min: 0, max: 65535 }),
  describe: "0 (no HTTP server) or a port number from 1 to 65535",
};

/** The HTTP settings never change on a reload: they take effect on restart. */
export const HTTP_RESTART_ONLY_SETTINGS = [
  "httpPort",
  "httpHost",
] as const satisfies readonly (keyof HttpConfig)[];

/**
 * Reads `http_port` and `http_host` from the global keys of a daemon's
 * config; a bad value is a `ConfigError` naming the key and the file, and
 * so is an HTTP address that is the protocol's own (`host`, `port`).
 */
export function readHttpConfig(
  ini: ConfigSection,
  protocol: { readonly host: string; readonly port: number },
): HttpConfig {
  const httpPort = ini.optional("http_port", httpPortType);
  const httpHost = ini.optional("http_host", stringType());
  if (httpPort !== undefined && httpPort === protocol.port) {
    const { host } = protocol;
    const http = httpHost ?? DEFAULT_HTTP_HOST;
    if (host === http || ANY_ADDRESS.has(host) || ANY_ADDRESS.has(http)) {
      throw ini.error(
        "http_port",
        `is ${httpPort}, the port of the protocol ('port') too: give HTTP a port of its own`,
      );
    }
  }
  return {
    ...(httpPort === undefined ? {} : { httpPort }),
    ...(httpHost === undefined ? {} : { httpHost }),
  };
}

/** Where the HTTP server listens, defaults applied, or `undefined` when it is off. */
export function httpListenAddress(
  config: HttpConfig,
): { hostname: string; port: number } | undefined {
  const port = config.httpPort ?? DEFAULT_HTTP_PORT;
  if (port === 0) return undefined;
  return { hostname: config.httpHost ?? DEFAULT_HTTP_HOST, port };
}
