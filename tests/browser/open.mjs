// node open.mjs FILE SHOT WIDTH [FILE SHOT WIDTH ...]: opens each file in one headless Chromium with every request
// that is not the file itself refused, saves a full-page screenshot, and prints a JSON list, one entry per page:
// its console errors, page errors, the requests refused, and the page's text.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const args = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // the machine's network is closed: no background connections, no component updates, no sync
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const pages = [];
try {
  for (let i = 0; i < args.length; i += 3) {
    const [file, shot, width] = args.slice(i, i + 3);
    const url = pathToFileURL(resolve(file)).href;
    const context = await browser.newContext({ viewport: { width: Number(width), height: 900 }, offline: true });
    const page = await context.newPage();
    const seen = { consoleErrors: [], pageErrors: [], refused: [] };
    page.on("console", (message) => { if (message.type() === "error") seen.consoleErrors.push(message.text()); });
    page.on("pageerror", (error) => seen.pageErrors.push(String(error)));
    await page.route("**/*", (route) => {
      const asked = route.request().url();
      if (asked === url) return route.continue();
      seen.refused.push(asked);
      return route.abort();
    });
    await page.goto(url, { waitUntil: "load" });
    await page.screenshot({ path: shot, fullPage: true });
    seen.text = await page.evaluate(() => document.body.innerText);
    pages.push(seen);
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(pages));
