/**
 * `jobctl`, the operator's command line for a jobd worker or master.
 * Entry point only: arguments in, exit status out (see src/jobctl/main.ts).
 */

import { colorAllowed, OutputError, runJobctl } from "./src/jobctl/main.ts";
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
      stdout: (text) => {
        try {
          write(Deno.stdout, text);
        } catch (error) {
          throw new OutputError(error);
        }
      },
      stderr: (text) => write(Deno.stderr, text),
      color: colorAllowed(),
    });
  } catch (error) {
    // stderr itself failed: say it once more, without a stack trace in the operator's face.
    try {
      write(Deno.stderr, `jobctl: unexpected error: ${messageOf(error)}\n`);
    } catch {
      // Nowhere left to say it.
    }
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
