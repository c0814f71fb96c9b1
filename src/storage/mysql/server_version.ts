/** What the connected server is, and which claim statement it supports. */

/** A server's product and version, read from `SELECT VERSION()`. */
export interface ServerVersion {
  product: "MariaDB" | "MySQL";
  major: number;
  minor: number;
  patch: number;
  /** The text the server reported, such as `10.11.6-MariaDB-0+deb12u1`. */
  text: string;
}

/**
 * Reads the result of `SELECT VERSION()`. A text that names MariaDB is
 * MariaDB; anything else (MySQL, Percona Server) is MySQL. Missing numbers
 * read as 0.
 */
export function parseServerVersion(text: string): ServerVersion {
  const product = /mariadb/i.test(text) ? "MariaDB" : "MySQL";
  // Replication-compatible MariaDB handshakes prefix `5.5.5-`; VERSION() does not, but be lenient.
  const numbers = text.replace(/^5\.5\.5-(?=\d+\.\d+.*mariadb)/i, "").match(
    /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/,
  );
  return {
    product,
    major: Number(numbers?.[1] ?? 0),
    minor: Number(numbers?.[2] ?? 0),
    patch: Number(numbers?.[3] ?? 0),
    text,
  };
}

/**
 * Whether the server runs `SELECT ... FOR UPDATE SKIP LOCKED`: MySQL from
 * 8.0.1, MariaDB from 10.6.
 */
export function supportsSkipLocked(version: ServerVersion): boolean {
  const { major, minor, patch } = version;
  if (version.product === "MariaDB") return major > 10 || (major === 10 && minor >= 6);
  return major > 8 || (major === 8 && (minor > 0 || patch >= 1));
}
