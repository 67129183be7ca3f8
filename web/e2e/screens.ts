/**
 * Every screen is checked the same way at 375 px and 1280 px: a full-page screenshot, axe-core (WCAG 2.x A/AA
 * rules; serious and critical violations fail), and no horizontal scrolling at 375 px.
 *
 * Screenshots go to web/e2e/.tmp/screenshots/ (not tracked) on an ordinary run, so `npm test` leaves the tree
 * clean; `E2E_SCREENSHOTS=update` writes the committed set under web/e2e/screenshots/ (`npm run screenshots`).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";

export const SCREENSHOT_DIR =
  process.env.E2E_SCREENSHOTS === "update"
    ? join(import.meta.dirname, "screenshots")
    : join(import.meta.dirname, ".tmp", "screenshots");
export const WIDTHS = [375, 1280] as const;

export interface ScreenReport {
  screen: string;
  width: number;
  violations: { id: string; impact: string; nodes: number }[];
  overflowPx: number;
}

export async function checkScreen(page: Page, screen: string, reports: ScreenReport[]): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${screen}-${width}.png`), fullPage: true });
    const axe = await new AxeBuilder({ page })
      .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
      .analyze();
    const overflowPx = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    reports.push({
      screen,
      width,
      violations: axe.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? "unknown",
        nodes: v.nodes.length,
      })),
      overflowPx,
    });
    const blocking = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    if (blocking.length > 0) {
      const detail = blocking
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.nodes
              .map((n) => n.target.join(" "))
              .slice(0, 3)
              .join(", ")}`,
        )
        .join("; ");
      throw new Error(`axe: ${screen} at ${width} px: ${detail}`);
    }
    if (width === 375 && overflowPx > 1)
      throw new Error(`${screen} scrolls sideways at 375 px (${overflowPx} px)`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
