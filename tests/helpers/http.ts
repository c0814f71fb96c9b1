/**
 * HTTP requests from tests. Each goes on a connection of its own: tests
 * start and stop many servers on ports the OS hands out again, and a pooled
 * keep-alive connection to a port's previous server would fail the next
 * request with "fetch failed".
 */

const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });

/** `fetch` without connection reuse. */
export function fetchFresh(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, client });
}
