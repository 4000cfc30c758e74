import { chromium } from 'playwright-core';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const w of [1280, 1024]) {
const p = await b.newPage({ viewport: { width: w, height: 900 } });
await p.goto('http://127.0.0.1:8931/');
await p.setInputFiles('#file', '/work/main/tests/browser/fixtures/mixed.csv');
await p.click('#upload-button');
await p.waitForSelector('body[data-state="done"]');
console.log(w, await p.evaluate(() => { const w = document.querySelector('.table-wrap'); return [w.scrollWidth, w.clientWidth]; }));
if (w === 1280) await p.screenshot({ path: '/tmp/fit.png', fullPage: true });
}
await b.close();
