import { CHROMIUM, CHROMIUM_ARGS } from './harness';

// The slice of playwright-core the browser tests use, typed here: playwright's own .d.ts files need
// the DOM library, which this Node project does not compile with. Functions passed to the page run
// in the browser, so their parameters are loosely typed (`any`).

type InPage<R> = (el: any, arg?: any) => R | Promise<R>;

export interface Page {
  goto(url: string): Promise<unknown>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  waitForSelector(selector: string, options?: { timeout?: number }): Promise<unknown>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number }): Promise<unknown>;
  waitForTimeout(ms: number): Promise<void>;
  locator(selector: string): { count(): Promise<number> };
  $eval<R>(selector: string, fn: InPage<R>, arg?: unknown): Promise<R>;
  $$eval<R>(selector: string, fn: (els: any[]) => R | Promise<R>): Promise<R>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  $(selector: string): Promise<unknown | null>;
  keyboard: { press(key: string): Promise<void> };
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  close(): Promise<void>;
}

export interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

interface Chromium {
  launchPersistentContext(
    userDataDir: string,
    options: { executablePath: string; headless: boolean; args: string[]; viewport?: { width: number; height: number }; deviceScaleFactor?: number },
  ): Promise<BrowserContext>;
}

/**
 * Debian's Chromium, headless, on a fresh profile folder (playwright takes our own --user-data-dir
 * only through a persistent context).
 */
export function launchChromium(profileDir: string, viewport = { width: 1180, height: 600 }): Promise<BrowserContext> {
  const { chromium } = require('playwright-core') as { chromium: Chromium };
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    deviceScaleFactor: 1,
  });
}
