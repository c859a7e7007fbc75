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
    const svgs = Array.from(document.querySelectorAll('figure > svg'));
    return {
      title: document.title,
      headings: Array.from(document.querySelectorAll('h1,h2,h3')).map(h => h.textContent),
      images: images.length,
      loaded: images.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length,
      sizes: images.map(i => [i.alt, i.naturalWidth, i.naturalHeight]),
      // Inline figures: their name, the size their viewBox says, the size drawn, and how many shapes they hold.
      svgs: svgs.map(s => ({ name: s.getAttribute('aria-label'), box: [s.viewBox.baseVal.width, s.viewBox.baseVal.height],
        drawn: [Math.round(s.getBoundingClientRect().width), Math.round(s.getBoundingClientRect().height)],
        shapes: s.querySelectorAll('path,ellipse,rect,polyline,polygon').length, titles: s.querySelectorAll('.ipw-hover title').length })),
      ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
      tables: document.querySelectorAll('table').length,
    };
  });
  // Hover: the mouse over a regression figure's last titled point (drawn last: on top of any it overlaps) lands on it.
  const point = page.locator('svg[aria-label^="regression_"] .ipw-hover circle').last();
  if (await point.count() > 0) {
    await point.scrollIntoViewIfNeeded();
    const box = await point.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    result.hovered = await page.evaluate(([x, y]) => {
      const hit = document.elementFromPoint(x, y);
      return hit?.closest('.ipw-hover circle')?.querySelector('title')?.textContent ?? null;
    }, [box.x + box.width / 2, box.y + box.height / 2]);
    result.hoverOpacity = await point.evaluate(c => getComputedStyle(c).fillOpacity);
  }
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
