/**
 * The condition that limits a statement to the rows this worker owns: with
 * the optional `worker` column, a guarded change of a row another worker has
 * claimed since (after a reply was lost and the change retried) leaves it alone.
 */
export function ownerGuard(
  context: { readonly tracksOwner: boolean; readonly workerName: string },
): { sql: string; params: string[] } {
  return context.tracksOwner
    ? { sql: " AND worker = ?", params: [context.workerName] }
    : { sql: "", params: [] };
}
