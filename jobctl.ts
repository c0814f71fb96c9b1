/**
 * `jobctl`, the operator's command line for a jobd worker or master.
 * Entry point only: arguments in, exit status out (see src/jobctl/main.ts).
 */

import { colorAllowed, runJobctl } from "./src/jobctl/main.ts";
import { messageOf } from "./src/text.ts";

function write(file: { writeSync(bytes: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  try {
    while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
  } catch (error) {
    // A closed pipe (`jobctl status | head -1`) is not worth a complaint.
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

async function main(args: string[]): Promise<number> {
  try {
    return await runJobctl(args, {
      stdout: (text) => write(Deno.stdout, text),
      stderr: (text) => write(Deno.stderr, text),
      color: colorAllowed(),
    });
  } catch (error) {
    // A bug of ours: say what happened, without a stack trace in the operator's face.
    write(
      Deno.stderr,
      `jobctl: unexpected error: ${messageOf(error)}\n`,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
