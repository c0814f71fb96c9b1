/**
 * Rules of the source tree that review would otherwise have to catch: one
 * helper for an error's text, small modules in src/, comments that state
 * facts rather than point at a document outside the repository, and every
 * module of src/ described in ARCHITECTURE.md.
 */

import assert from "node:assert/strict";
import { ROOT } from "./helpers/processes.ts";

/** The folders of our own code, and the entry points beside them. */
const FOLDERS = ["src", "scripts", "bench", "tests", "examples"];
const ENTRY_POINTS = ["worker.ts", "master.ts", "jobctl.ts"];
/** Not ours, or not source: what the benchmark writes. */
const SKIPPED = new Set(["node_modules", "dist", "results"]);

/** The most lines a module of src/ may have. */
const MAX_MODULE_LINES = 500;

/** Every file below `folder` (relative to the repository), skipping SKIPPED folders. */
async function* filesBelow(folder: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(`${ROOT}${folder}`)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory && !SKIPPED.has(entry.name)) yield* filesBelow(path);
    else if (entry.isFile) yield path;
  }
}

/** Every TypeScript, shell and SQL file of ours, with its text. */
async function sources(): Promise<{ path: string; text: string }[]> {
  const paths = [...ENTRY_POINTS];
  for (const folder of FOLDERS) {
    for await (const path of filesBelow(folder)) {
      if (/\.(ts|sh|sql)$/.test(path)) paths.push(path);
    }
  }
  return Promise.all(
    paths.sort().map(async (path) => ({ path, text: await Deno.readTextFile(`${ROOT}${path}`) })),
  );
}

/** The comments of a file: `//` and `/* *\/` in TypeScript, `--` and `#` lines elsewhere. */
function commentsOf(path: string, text: string): string[] {
  const pattern = path.endsWith(".ts")
    ? /\/\/[^\n]*|\/\*[\s\S]*?\*\//g
    : path.endsWith(".sql")
    ? /--[^\n]*/g
    : /#[^\n]*/g;
  return text.match(pattern) ?? [];
}

/** The line number of `index` in `text`. */
function lineAt(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

Deno.test("an error's text is taken with messageOf (src/text.ts), never written out again", async () => {
  const handWritten = [
    /instanceof Error\s*\?\s*\w+\.message/g, // the conditional on the error's class
    /\(\w+ as Error\)\.message/g, // the cast
  ];
  const found: string[] = [];
  for (const { path, text } of await sources()) {
    if (path === "src/text.ts") continue; // messageOf itself
    for (const pattern of handWritten) {
      for (const match of text.matchAll(pattern)) {
        found.push(`${path}:${lineAt(text, match.index)}: ${match[0]}`);
      }
    }
  }
  assert.deepEqual(found, [], "use messageOf from src/text.ts");
});

Deno.test(`no module in src/ is longer than ${MAX_MODULE_LINES} lines`, async () => {
  const long: string[] = [];
  for (const { path, text } of await sources()) {
    if (!path.startsWith("src/") || !path.endsWith(".ts")) continue;
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    if (lines > MAX_MODULE_LINES) long.push(`${path}: ${lines} lines`);
  }
  assert.deepEqual(long, [], "split the module by role");
});

Deno.test("no comment points at the specification outside the repository: it says the fact", async () => {
  const citations: string[] = [];
  for (const { path, text } of await sources()) {
    if (path === "tests/sources_test.ts") continue; // this test names what it looks for
    for (const comment of commentsOf(path, text)) {
      if (/\bSPEC\b/.test(comment)) citations.push(`${path}: ${comment.trim().slice(0, 80)}`);
    }
  }
  assert.deepEqual(citations, []);
});

Deno.test("the scan reads the tree it checks", async () => {
  const paths = (await sources()).map((source) => source.path);
  for (const path of ["src/text.ts", "src/worker/worker.ts", "scripts/test.ts", "jobctl.ts"]) {
    assert.ok(paths.includes(path), `${path} is scanned`);
  }
  assert.ok(paths.includes("examples/schema.sql"));
  assert.ok(!paths.some((path) => path.includes("node_modules")));
});

/**
 * ARCHITECTURE.md's "src/, by layer": each layer's block, keyed by the name it
 * starts with at the left margin (`worker/`, `log.ts`), with its text.
 */
async function layerBlocks(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(`${ROOT}ARCHITECTURE.md`);
  const start = text.indexOf("\n## src/, by layer");
  assert.ok(start >= 0, "ARCHITECTURE.md has a section '## src/, by layer'");
  const end = text.indexOf("\n## ", start + 1);
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.slice(start, end).split("\n")) {
    const head = /^([\w.]+\/?)(\s|$)/.exec(line);
    if (head) current = head[1];
    if (current !== undefined) blocks.set(current, `${blocks.get(current) ?? ""}${line}\n`);
  }
  return blocks;
}

/** Whether `text` has `name` as a whole word (`_` counts as a letter). */
function namesWord(text: string, name: string): boolean {
  return new RegExp(`(^|[^\\w])${name}([^\\w]|$)`).test(text);
}

Deno.test("every module of src/ is named in ARCHITECTURE.md's table of its layer", async () => {
  const blocks = await layerBlocks();
  const unnamed: string[] = [];
  for await (const path of filesBelow("src")) {
    if (!path.endsWith(".ts") || path.endsWith("_test.ts")) continue;
    const parts = path.split("/").slice(1); // without "src"
    const name = parts.at(-1)!.replace(/\.ts$/, "");
    // A module of a folder is named in the folder's block; one at the top has a block of its own.
    const block = parts.length === 1 ? blocks.get(`${name}.ts`) : blocks.get(`${parts[0]}/`);
    if (block === undefined || !namesWord(block, name)) unnamed.push(path);
  }
  assert.deepEqual(unnamed.sort(), [], "add a one-line description to ARCHITECTURE.md");
});

Deno.test("every module ARCHITECTURE.md's layer table lists as an entry exists", async () => {
  const missing: string[] = [];
  for (const [layer, block] of await layerBlocks()) {
    if (!layer.endsWith("/")) continue;
    // An entry starts two spaces in: `  job_runner    JobRunner: ...`, `  password, request_numbers`.
    for (const match of block.matchAll(/^ {2}([\w/]+)(?=[,\s]|$)/gm)) {
      const path = `src/${layer}${match[1]}.ts`;
      try {
        await Deno.stat(`${ROOT}${path}`);
      } catch {
        missing.push(path);
      }
    }
  }
  assert.deepEqual(missing, [], "ARCHITECTURE.md names a module that is not there");
});
