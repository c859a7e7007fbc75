// Opens an ipw HTML report in Debian's headless Chromium and prints what rendered, as JSON:
// the title, the figures, and how many of them loaded with real pixels.
import { chromium } from 'playwright-core';

const file = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.IPW_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  await page.goto('file://' + file, { waitUntil: 'load' });
  const result = await page.evaluate(() => {
    const images = Array.from(document.images);
    return {
      title: document.title,
      headings: Array.from(document.querySelectorAll('h1,h2,h3')).map(h => h.textContent),
      images: images.length,
      loaded: images.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length,
      sizes: images.map(i => [i.alt, i.naturalWidth, i.naturalHeight]),
      tables: document.querySelectorAll('table').length,
    };
  });
  // Sorting: a click on the latency table's "p50" column orders its rows by that number, a second click the other way.
  const latency = page.locator('h3:text-is("latency") + table.sortable');
  const p50 = async () => (await latency.first().locator('tbody tr').evaluateAll(rows => rows.map(r => r.cells[2].textContent)))
    .map(t => parseFloat(t.replace(/[,\s]/g, '')));
  if (await latency.count() > 0) {
    await latency.first().locator('th', { hasText: /^p50$/ }).click();
    result.sortedUp = await p50();
    await latency.first().locator('th', { hasText: /^p50$/ }).click();
    result.sortedDown = await p50();
  }
  result.sortableTables = await page.locator('table.sortable').count();
  result.errors = errors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
