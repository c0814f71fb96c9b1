/**
 * Headless Chromium for tests, driven by npm:playwright-core (pinned in
 * deno.json) on the system's browser: Debian's `chromium` (installed by
 * .ci/run), never a browser build of Playwright's own. Each browser gets a
 * profile directory of its own, removed with the process on disposal.
 */

import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where the system's Chromium is (`JOBD_TEST_CHROMIUM` overrides). */
export const CHROMIUM_PATH = Deno.env.get("JOBD_TEST_CHROMIUM") ?? "/usr/bin/chromium";

/** A headless browser with one page open. */
export interface TestBrowser extends AsyncDisposable {
  context: BrowserContext;
  page: Page;
  /** Messages of uncaught errors and `console.error` in the page so far. */
  errors: string[];
}

/** Options of {@linkcode openBrowser}. */
export interface OpenBrowserOptions {
  /** The page's size in CSS pixels. */
  viewport?: { width: number; height: number };
  /** Basic-auth credentials the browser answers a 401 with. */
  httpCredentials?: { username: string; password: string };
  /** Whether the page may run scripts. Default true. */
  javaScriptEnabled?: boolean;
}

/**
 * Starts headless Chromium on a fresh profile and opens a page. Without a
 * sandbox (tests and CI run as root, where Chromium's sandbox cannot start).
 */
export async function openBrowser(options: OpenBrowserOptions = {}): Promise<TestBrowser> {
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install chromium, as .ci/run ` +
        "does) or name another with JOBD_TEST_CHROMIUM",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "jobd-chromium-" });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      chromiumSandbox: false,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      httpCredentials: options.httpCredentials,
      javaScriptEnabled: options.javaScriptEnabled ?? true,
      timeout: 60_000,
    });
  } catch (error) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw error;
  }
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return {
    context,
    page,
    errors,
    async [Symbol.asyncDispose]() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
