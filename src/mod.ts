/**
 * jobd as a library: the client of workers and masters, its errors, and the
 * shapes of requests and responses. Applications use this to talk to jobd.
 *
 * @example
 * ```ts
 * import { MasterClient } from "@jobd/jobd";
 * await using master = await MasterClient.connect({ host: "127.0.0.1", port: 7081 });
 * await master.poke(["emails"]);
 * ```
 *
 * @module
 */

export {
  type ConnectOptions,
  MasterClient,
  type Requester,
  type RequestOptions,
  WorkerClient,
} from "./net/client.ts";
export {
  ConnectError,
  ConnectionClosedError,
  RemoteError,
  RequestTimeoutError,
} from "./net/errors.ts";
export type * from "./protocol/requests.ts";
export type * from "./protocol/control_requests.ts";
