/** Whether a peer address is a loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x.x.x. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = host.startsWith("::ffff:") ? host.slice("::ffff:".length) : host;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Whether two peer addresses are the same host, an IPv4 address and its
 * IPv4-mapped IPv6 form (`::ffff:10.0.0.5`) included.
 */
export function isSameHost(a: string, b: string): boolean {
  const plain = (host: string) => {
    const lower = host.toLowerCase().replace(/^\[|\]$/g, "");
    return lower.startsWith("::ffff:") && lower.includes(".") ? lower.slice(7) : lower;
  };
  return plain(a) === plain(b);
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatAddress(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
