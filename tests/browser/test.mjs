// Real-browser test of the upload page (www/) against the real server.
//
// Starts scripts/lda-server on free ports with temporary LDA_VAR_DIRs,
// drives headless Chromium (/usr/bin/chromium) through playwright-core, and
// compares what the page shows and downloads with the reports build/lda
// writes for the same fixture. Every expectation is computed here from the
// fixture or from build/lda's output; nothing is hard-coded.
// Prints one line per check, then "N passed, M failed"; exit 1 on failure.
//
// Environment: LDA_BIN (reference runner, default build/lda), LDA_CGI_DIR
// (passed to lda-server, e.g. build/asan/cgi-bin), CHROMIUM (default
// /usr/bin/chromium), LDA_TEST_ARTIFACTS (default build/test-artifacts).

import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const LDA = path.resolve(root, process.env.LDA_BIN || 'build/lda');
const SERVER = path.join(root, 'scripts/lda-server');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ART = path.resolve(root, process.env.LDA_TEST_ARTIFACTS || 'build/test-artifacts');
const FIX = path.join(here, 'fixtures');
const MAIN_FIXTURE = path.join(FIX, 'mixed.csv');
const MISSING_FIXTURE = path.join(FIX, 'missing-columns.csv');
const T = 30000; // ms, per wait

let passed = 0;
let failed = 0;
const cleanups = [];
const serverStops = [];   // synchronous, also run on SIGINT/SIGTERM
const tmpPaths = [];      // removed at the end, also on a signal
function tmpPath(p) { tmpPaths.push(p); return p; }
function removeTmp() { for (const p of tmpPaths) fs.rmSync(p, { recursive: true, force: true }); }

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const stop of serverStops) { try { stop(); } catch (e) { /* keep going */ } }
    removeTmp();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

function log(s) { process.stdout.write(s + '\n'); }

// LDA_BROWSER_CHECKS=regex runs only the checks whose name matches (the
// others are skipped, not failed); LDA_WWW=dir serves the page's files
// from dir instead of www/ (to measure another version of the page).
const ONLY = process.env.LDA_BROWSER_CHECKS ? new RegExp(process.env.LDA_BROWSER_CHECKS) : null;
let skipped = 0;
async function check(name, fn) {
  if (ONLY && !ONLY.test(name)) { skipped++; return; }
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    log(`ok   - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    log('FAIL - ' + name + '\n       ' + String(e && e.stack || e).split('\n').slice(0, 4).join('\n       '));
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }
function eq(a, b, msg) {
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  if (sa !== sb) throw new Error(`${msg}: got ${sa.slice(0, 400)}, expected ${sb.slice(0, 400)}`);
}

// ---------------------------------------------------------------- CSV + time
// An independent RFC 4180 reader (not the page's): records with their
// record numbers (blank lines are not records), optional blank trimming.
function readCsv(text, { trim = false } = {}) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const recs = [];
  let i = 0, recno = 0;
  const n = text.length;
  while (i < n) {
    if (text[i] === '\n') { i++; continue; }
    if (text[i] === '\r' && text[i + 1] === '\n') { i += 2; continue; }
    recno++;
    const fields = [];
    let bad = false;
    for (;;) {
      let j = i;
      while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
      let v = '';
      if (text[j] === '"') {
        j++;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) { v += text.slice(j); j = n; bad = true; break; }
          v += text.slice(j, q);
          if (text[q + 1] === '"') { v += '"'; j = q + 2; continue; }
          j = q + 1;
          break;
        }
        while (j < n && text[j] !== ',' && text[j] !== '\n' && !(text[j] === '\r' && text[j + 1] === '\n')) {
          if (text[j] !== ' ' && text[j] !== '\t') bad = true;
          j++;
        }
      } else {
        j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && !(text[j] === '\r' && text[j + 1] === '\n')) {
          if (text[j] === '"') bad = true;
          v += text[j++];
        }
      }
      fields.push(trim ? v.replace(/^[ \t]+|[ \t]+$/g, '') : v);
      i = j;
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '\n') i++;
      else if (text[i] === '\r') i += 2;
      break;
    }
    recs.push({ recno, fields, bad });
  }
  return recs;
}

// SPEC §2 timestamp -> BigInt µs UTC (independent of the page's parser).
function tsUs(s) {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(Z|z|([+-])(\d\d)(?::?(\d\d))?)?$/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0);
  const d = new Date(ms);
  if (d.getUTCDate() !== +m[3] || d.getUTCMonth() !== +m[2] - 1 || +m[4] > 23 || +m[5] > 59 ||
      (m[6] && +m[6] > 59) || (m[10] && +m[10] > 23) || (m[11] && +m[11] > 59)) return null;
  let us = BigInt(ms) * 1000n + BigInt(m[7] ? (m[7] + '00000').slice(0, 6) : 0);
  if (m[9]) us -= BigInt((m[9] === '-' ? -1 : 1) * ((+m[10]) * 3600 + (m[11] ? +m[11] : 0) * 60)) * 1000000n;
  return us;
}

// Reference run of build/lda on a fixture.
function reference(fixture) {
  const out = tmpPath(fs.mkdtempSync(path.join(os.tmpdir(), 'lda-ref-')));
  const r = spawnSync(LDA, [fixture, out], { encoding: 'utf8' });
  const ref = { rc: r.status, stderr: r.stderr, dir: out };
  ref.run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
  if (r.status === 0) {
    ref.susBytes = fs.readFileSync(path.join(out, 'suspicious_accounts.csv'));
    ref.detBytes = fs.readFileSync(path.join(out, 'detections.csv'));
    const sus = readCsv(ref.susBytes.toString('utf8'));
    const det = readCsv(ref.detBytes.toString('utf8'));
    ref.header = sus[0].fields;
    ref.rows = sus.slice(1).map((r, i) => ({ cells: r.fields, index: i }));
    ref.detHeader = det[0].fields;
    ref.det = det.slice(1).map(r => r.fields);
  }
  return ref;
}

// Valid events of the fixture (records build/lda rejected are left out).
function fixtureEvents(fixture, ref) {
  const recs = readCsv(fs.readFileSync(fixture, 'utf8'), { trim: true });
  const col = {};
  recs[0].fields.forEach((f, i) => { col[f.toLowerCase()] = i; });
  assert(ref.run.rejected.length === ref.run.rejected_count, 'fixture must have at most 100 rejected records');
  const rejected = new Set(ref.run.rejected.map(r => r.row));
  const events = [];
  for (const r of recs.slice(1)) {
    if (rejected.has(r.recno)) continue;
    const ts = tsUs(r.fields[col.timestamp]);
    assert(ts !== null, `fixture record ${r.recno}: timestamp unreadable by the test`);
    events.push({ recno: r.recno, ts, account: r.fields[col.account_id], product: r.fields[col.product_id],
                  side: r.fields[col.side].toUpperCase(), type: r.fields[col.event_type].toUpperCase(),
                  price: r.fields[col.price], qty: r.fields[col.quantity] });
  }
  eq(events.length, ref.run.event_count, 'fixture events counted by the test vs build/lda');
  return events;
}

const guard = s => (s && '=+-@\t\r'.includes(s[0]) ? "'" + s : s);

// The orchestrator's "input inflated" log line of a run (docs/input.md).
function serverInflated(srv, id) {
  const log = fs.readFileSync(path.join(srv.varDir, 'log', 'error.log'), 'utf8').split('\n');
  const line = log.find(l => l.includes('input inflated') && l.includes(id));
  assert(line, `no "input inflated" log line for ${id}`);
  const num = k => { const m = new RegExp(`"${k}":\\s*(\\d+)`).exec(line); return m ? +m[1] : null; };
  const what = /"what":\s*"([^"]*)"/.exec(line);
  return { what: what && what[1], compressed: num('compressed_bytes'), bytes: num('bytes') };
}

// Byte counts as the page writes them.
function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1048576).toFixed(1) + ' MiB';
}

// 20,000 layering alerts (4,000 accounts x 5 products, one episode a
// minute per group): 3 BUY orders at falling prices, their 3
// cancellations, then a SELL trade, 140,000 events, about 9 MB.
function alerts20k() {
  const lines = ['timestamp,account_id,product_id,side,price,quantity,event_type'];
  const base = Date.UTC(2025, 9, 27, 10, 0, 0);
  const iso = ms => new Date(ms).toISOString();
  for (let i = 0; i < 20000; i++) {
    const acc = 'ACC' + String(i % 4000).padStart(4, '0'), prod = 'P' + (i % 5);
    const t = base + Math.floor(i / 4000) * 60000, p = 100 + (i % 7);
    for (let k = 0; k < 3; k++) lines.push(`${iso(t + k * 1000)},${acc},${prod},BUY,${(p - 0.01 * (k + 1)).toFixed(2)},${100 * (k + 1)},ORDER_PLACED`);
    for (let k = 0; k < 3; k++) lines.push(`${iso(t + 3000 + k * 100)},${acc},${prod},BUY,${(p - 0.01 * (k + 1)).toFixed(2)},${100 * (k + 1)},ORDER_CANCELLED`);
    lines.push(`${iso(t + 4000)},${acc},${prod},SELL,${p.toFixed(2)},50,TRADE_EXECUTED`);
  }
  return lines.join('\n') + '\n';
}

// The events the timeline of report row i must show: same account/product,
// within [start - pad, end + pad], pad = max(5 s, (end - start) / 5).
function expectedTimeline(ref, events, i) {
  const h = ref.header, c = ref.rows[i].cells, dh = ref.detHeader, d = ref.det[i];
  const end = tsUs(c[h.indexOf('detected_timestamp')]);
  const orders = d[dh.indexOf('order_timestamps')];
  const start = orders ? tsUs(orders.split(';')[0])
    : end - BigInt(Math.round(parseFloat(d[dh.indexOf('duration_seconds')]) * 1e6));
  let pad = (end - start) / 5n;
  if (pad < 5000000n) pad = 5000000n;
  const acc = c[h.indexOf('account_id')], prod = c[h.indexOf('product_id')];
  const shown = events.filter(e => guard(e.account) === acc && guard(e.product) === prod &&
                                   e.ts >= start - pad && e.ts <= end + pad);
  return { shown, acc, prod, type: c[h.indexOf('detection_type')] };
}

// Expected order of the table after sorting report rows by a column
// (numbers numerically, timestamps by time, text by code units; empty
// cells last; ties keep report order).
const NUMERIC = new Set(['total_buy_qty', 'total_sell_qty', 'num_cancelled_orders',
                         'alternation_percentage', 'price_change_percentage']);
function expectedSort(ref, name, dir) {
  const col = ref.header.indexOf(name);
  const key = v => (v === '' ? null : NUMERIC.has(name) ? parseFloat(v) : name === 'detected_timestamp' ? tsUs(v) : v);
  const sgn = dir === 'ascending' ? 1 : -1;
  return ref.rows.slice().sort((a, b) => {
    const x = key(a.cells[col]), y = key(b.cells[col]);
    if (x === null || y === null) return (x === null) - (y === null) || a.index - b.index;
    return sgn * (x < y ? -1 : x > y ? 1 : 0) || a.index - b.index;
  }).map(r => r.index);
}

// ---------------------------------------------------------------- server

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function startServer(label, extraEnv = {}) {
  const port = await freePort();
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lda-br-'));
  const env = { ...process.env, LDA_PORT: String(port), LDA_VAR_DIR: varDir,
                LDA_INPUT_DIR: path.join(varDir, 'input'), ...extraEnv };
  for (const k of ['API_KEY', 'INTERNAL_API_KEY', 'LDA_FAILPOINTS', 'RATE_LIMIT_PER_MINUTE', 'MAX_UPLOAD_BYTES'])
    if (!(k in extraEnv)) delete env[k];
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    const r = spawnSync(SERVER, ['stop'], { env, cwd: root, encoding: 'utf8', timeout: 30000 });
    if (r.status !== 0) log(`# ${label}: lda-server stop: ${r.stdout}${r.stderr}`);
    fs.rmSync(varDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  serverStops.push(stop);
  const r = spawnSync(SERVER, ['start'], { env, cwd: root, encoding: 'utf8', timeout: 60000 });
  const m = /https?:\/\/\S+/.exec(r.stdout || '');
  if (r.status !== 0 || !m) {
    throw new Error(`${label}: scripts/lda-server start failed (status ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  const url = m[0].replace(/\/?$/, '/');
  log(`# ${label}: ${url} (var ${varDir})`);
  return { url, varDir, env, stop };
}

// ---------------------------------------------------------------- page

// Recorded by an init script: every value body[data-state] and
// progress[value] took (MutationObserver with old values), external
// requests are checked separately.
const RECORDER = () => {
  window.__rec = { state: [], progress: [], max: [] };
  const hook = () => {
    const obs = (el, attr, list) => {
      list.push({ old: null, first: el.getAttribute(attr) });
      new MutationObserver(rs => rs.forEach(r => list.push({ old: r.oldValue })))
        .observe(el, { attributes: true, attributeFilter: [attr], attributeOldValue: true });
    };
    obs(document.body, 'data-state', window.__rec.state);
    const p = document.getElementById('progress');
    obs(p, 'value', window.__rec.progress);
    obs(p, 'max', window.__rec.max);
  };
  document.addEventListener('DOMContentLoaded', hook);
  // Timings for the 20,000-alert check: when the orchestrate answer
  // arrived (readystatechange fires before the page's load handler) and
  // when the page, once "done", had been laid out (a task after the next
  // animation frame). Works on any version of the page.
  window.__timing = { answer: 0, done: 0, painted: 0 };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (b) {
    window.__sent = b;                 // the body the page sent, read by the gzip checks
    this.addEventListener('readystatechange', () => { if (this.readyState === 4) window.__timing.answer = performance.now(); });
    return send.call(this, b);
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(() => {
      if (document.body.getAttribute('data-state') !== 'done') return;
      window.__timing.done = performance.now();
      requestAnimationFrame(() => setTimeout(() => { window.__timing.painted = performance.now(); }, 0));
    }).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
  });
};

// History of an observed attribute: first value, then each change.
async function history(page, which, sel, attr) {
  return page.evaluate(([w, s, a]) => {
    const list = window.__rec[w];
    const changes = list.slice(1);
    if (!changes.length) return [list[0].first];
    return [list[0].first, ...changes.slice(1).map(c => c.old), document.querySelector(s).getAttribute(a)];
  }, [which, sel, attr]);
}

async function newPage(browser, base, opts = {}) {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: opts.viewport || { width: 1280, height: 900 } });
  cleanups.push(() => ctx.close().catch(() => {}));
  await ctx.addInitScript(RECORDER);
  if (process.env.LDA_WWW) {
    const dir = path.resolve(process.env.LDA_WWW);
    const types = { html: 'text/html', js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
    await ctx.route(u => u.href.startsWith(base) && !u.pathname.startsWith('/api/'), route => {
      const name = new URL(route.request().url()).pathname.slice(1) || 'index.html';
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ status: 200, contentType: types[name.split('.').pop()] || 'application/octet-stream',
                             body: fs.readFileSync(file) });
    });
  }
  const page = await ctx.newPage();
  page.setDefaultTimeout(T);
  page.__errors = [];
  page.__external = [];
  page.on('pageerror', e => page.__errors.push(String(e)));
  // Console errors other than the browser's own note on a non-2xx answer
  // (e.g. a CSP violation) count as page errors too.
  page.on('console', m => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) page.__errors.push('console: ' + m.text());
  });
  page.on('request', r => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith('blob:') && !u.startsWith('data:')) page.__external.push(u);
  });
  await page.goto(base);
  return { ctx, page };
}

async function uploadFile(page, file) {
  await page.setInputFiles('#file', file);
  await page.click('#upload-button');
}

async function tableRows(page) {
  return page.$$eval('#alerts-body tr[data-index]', trs => trs.map(tr => ({
    index: +tr.getAttribute('data-index'),
    cells: Array.from(tr.querySelectorAll('td[data-col]')).map(td => td.textContent)
  })));
}

async function clickDownload(page, sel) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
  const p = await dl.path();
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(p) };
}

async function showTimeline(page, index) {
  await page.selectOption('#type-filter', '');   // the row must be visible
  await page.fill('#text-filter', '');
  await page.click(`#alerts-body button.show-timeline[data-index="${index}"]`);
  await page.waitForFunction(i => {
    const c = document.getElementById('timeline-caption');
    const sel = document.querySelector(`#alerts-body tr[data-index="${i}"] button[aria-pressed="true"]`);
    return sel && c && c.hasAttribute('data-count') && document.getElementById('timeline-svg') &&
      document.getElementById('timeline').getAttribute('aria-busy') === 'false';
  }, index);
  return page.evaluate(() => {
    const svg = document.getElementById('timeline-svg');
    const axis = svg.querySelector('line.axis');
    const ay = parseFloat(axis.getAttribute('y1'));
    const marks = Array.from(svg.querySelectorAll('.marker')).map(m => {
      const t = /translate\(([-\d.]+),([-\d.]+)\)/.exec(m.getAttribute('transform'));
      const sh = m.querySelector('.shape');
      const cs = getComputedStyle(sh);
      return { type: m.getAttribute('data-type'), side: m.getAttribute('data-side'),
               record: +m.getAttribute('data-record'), x: parseFloat(t[1]), y: parseFloat(t[2]),
               price: m.getAttribute('data-price'), qty: m.getAttribute('data-qty'),
               size: sh.getBBox().width, stroke: cs.stroke, fill: cs.fill,
               shape: sh.tagName + ':' + sh.getAttribute('class') };
    });
    return { axisY: ay, marks, caption: document.getElementById('timeline-caption').textContent,
             count: +document.getElementById('timeline-caption').getAttribute('data-count'),
             ticks: svg.querySelectorAll('.tick-label').length,
             windows: svg.querySelectorAll('rect.window').length,
             priceLabels: svg.querySelectorAll('.price-label').length,
             legend: document.querySelectorAll('#timeline .legend li').length };
  });
}

// ---------------------------------------------------------------- tests

async function main() {
  fs.mkdirSync(ART, { recursive: true });
  assert(fs.existsSync(LDA), `missing ${LDA} (run make)`);
  const ref = reference(MAIN_FIXTURE);
  assert(ref.rc === 0, 'build/lda failed on the main fixture: ' + ref.stderr);
  const types = new Set(ref.rows.map(r => r.cells[ref.header.indexOf('detection_type')]));
  assert(types.has('LAYERING') && types.has('WASH_TRADING') && ref.rows.length >= 6,
         'main fixture must give LAYERING and WASH_TRADING alerts');
  const events = fixtureEvents(MAIN_FIXTURE, ref);
  const refMissing = reference(MISSING_FIXTURE);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    // launch() itself gives Chromium a fresh temporary --user-data-dir
    // (it refuses one in args), removed when the browser closes.
  });
  cleanups.push(() => browser.close().catch(() => {}));

  const srv = await startServer('server');
  const { page } = await newPage(browser, srv.url);
  let orchestrateBody = null;

  await check('page loads with labelled controls and a live status region', async () => {
    eq(await page.getAttribute('body', 'data-state'), 'idle', 'initial state');
    assert(await page.getByLabel('Events file (CSV)').count() === 1, 'file input label');
    eq(await page.getAttribute('#status', 'aria-live'), 'polite', 'status aria-live');
    assert(await page.isDisabled('#upload-button'), 'upload button disabled before a file is chosen');
  });

  await check('page CSV reader and timestamp parser agree with this test\'s own', async () => {
    const tricky = 'a,b,c\r\n1,"x, y",3\r\n\r\n"multi\nline","say ""hi""",\r\n' +
      ' lone\rcr , "q" ,z\n\n\n"unterminated,1\n2,3\nlast,row,noeol';
    const bad = 'a,b\nx"y,1\n"ok" junk,2\nfine,3\n';
    for (const text of [tricky, bad, fs.readFileSync(MAIN_FIXTURE, 'utf8')]) {
      const page_ = await page.evaluate(t => window.ldaPage.parseCsvText(t).map(r => [r.recno, r.fields, !!r.bad]), text);
      eq(page_, readCsv(text).map(r => [r.recno, r.fields, r.bad]), 'records of ' + JSON.stringify(text.slice(0, 30)));
    }
    const stamps = ['2025-10-27T09:30:00Z', '2025-10-27 09:30', '2024-02-29T23:59:59.123456789+05:30',
      '2025-10-27T09:30:00.5-0800', '2025-10-27T09:30:00+01', '2025-10-27T09:30:00z', '2025-02-29T00:00:00Z',
      '2025-10-27T24:00:00Z', '2025-10-27T09:60:00Z', '2025-10-27T09:30:00+24:00', '2025-10-27T09:30:00.Z',
      '2025-10-27T09:30:00.1234567890Z', '2025-10-27', '2000-02-29T12:00:00.000001Z', '1900-02-29T00:00:00Z'];
    const got = await page.evaluate(list => list.map(s => { const v = window.ldaPage.parseTimestamp(s); return v === null ? null : String(v); }), stamps);
    eq(got, stamps.map(s => { const v = tsUs(s); return v === null ? null : String(v); }), 'timestamps');
  });

  await check('dropping a file on the page selects it', async () => {
    await page.evaluate(text => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'dropped.csv', { type: 'text/csv' }));
      const target = document.querySelector('.foot');
      for (const type of ['dragenter', 'dragover', 'drop'])
        target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, fs.readFileSync(MAIN_FIXTURE, 'utf8'));
    const chosen = await page.textContent('#file-chosen');
    assert(chosen.includes('dropped.csv'), 'selected file text: ' + chosen);
    assert(await page.isEnabled('#upload-button'), 'upload button enabled');
    eq(await page.evaluate(() => document.getElementById('file').files[0].name), 'dropped.csv', 'file input holds the dropped file');
  });

  // Progress: a larger file (the fixture plus inert rows) uploaded with the
  // network throttled, so that upload.onprogress fires several times.
  await check('upload shows real progress (bytes sent of total), then processing, then done', async () => {
    const big = tmpPath(path.join(os.tmpdir(), `lda-br-big-${process.pid}.csv`));
    const noise = [];
    for (let i = 0; i < 24000; i++) noise.push(`2025-10-28T00:00:${String(i % 60).padStart(2, '0')}Z,NOISE${i % 9},N${i % 7},BUY,1.5,1,ORDER_PLACED,XNAS`);
    fs.writeFileSync(big, fs.readFileSync(MAIN_FIXTURE, 'utf8') + noise.join('\n') + '\n');
    const size = fs.statSync(big).size;
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions',
                   { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: Math.ceil(size / 1.5) });
    const [resp] = await Promise.all([
      page.waitForResponse(r => r.url().endsWith('/api/orchestrate')), uploadFile(page, big)]);
    await page.waitForSelector('body[data-state="done"]');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    eq(resp.status(), 200, 'orchestrate status');
    const states = await history(page, 'state', 'body', 'data-state');
    const seq = states.filter((s, i) => s !== states[i - 1]);
    eq(seq, ['idle', 'uploading', 'processing', 'done'], 'state sequence');
    const prog = (await history(page, 'progress', '#progress', 'value')).map(Number);
    const maxes = (await history(page, 'max', '#progress', 'max')).map(Number);
    const total = maxes[maxes.length - 1];
    assert(total > size && total < size + 2048, `progress max ${total} should be the multipart body size (file ${size})`);
    const mid = prog.filter(v => v > 0 && v < total);
    assert(mid.length >= 3, 'at least 3 intermediate progress values: ' + JSON.stringify(prog));
    assert(mid.every((v, i) => i === 0 || v >= mid[i - 1]), 'progress never goes back');
    eq(prog[prog.length - 1], total, 'progress ends at the total');
    const big_events = (await page.textContent('#sum-events'));
    eq(big_events, String(ref.run.event_count + noise.length), 'events read (large file)');
  });

  await check('upload of the fixture: uploading, processing, done states', async () => {
    await page.evaluate(() => { window.__rec.state.splice(1); window.__rec.state[0].first = document.body.getAttribute('data-state'); });
    const [resp] = await Promise.all([
      page.waitForResponse(r => r.url().endsWith('/api/orchestrate')), uploadFile(page, MAIN_FIXTURE)]);
    orchestrateBody = { status: resp.status(), json: await resp.json() };
    await page.waitForSelector('body[data-state="done"]');
    const states = await history(page, 'state', 'body', 'data-state');
    const seq = states.filter((s, i) => s !== states[i - 1]);
    eq(seq, ['done', 'uploading', 'processing', 'done'], 'state sequence');
    eq(orchestrateBody.status, 200, 'orchestrate status');
    assert(await page.isVisible('#summary') && await page.isVisible('#alerts'), 'result visible');
  });

  await check('summary: events read, rejected records with reasons, alerts by type, services', async () => {
    eq(await page.textContent('#sum-events'), String(ref.run.event_count), 'events read');
    eq(await page.textContent('#sum-rejected'), String(ref.run.rejected_count), 'rejected count');
    eq(await page.textContent('#sum-alerts'), String(ref.rows.length), 'alert count');
    await page.click('#rejected-details summary');
    const items = await page.$$eval('#rejected-list li', lis => lis.map(li => li.textContent));
    eq(items, ref.run.rejected.map(r => `Record ${r.row}: ${r.reason}`), 'rejected list');
    const byType = {};
    ref.rows.forEach(r => { const t = r.cells[ref.header.indexOf('detection_type')]; byType[t] = (byType[t] || 0) + 1; });
    for (const [t, n] of Object.entries(byType)) {
      const txt = await page.textContent(`#sum-types li[data-type="${t}"]`);
      assert(txt.includes(`${n} alert`), `type ${t}: "${txt}" should say ${n}`);
    }
    const sv = await page.textContent('#sum-services');
    assert(/completed/.test(sv), 'services line: ' + sv);
    assert(await page.isHidden('#quality-warn'), 'no rejected-records warning for 4 of 72');
  });

  await check('run id and when it ran are shown (run.json started)', async () => {
    const id = orchestrateBody.json.request_id;
    eq(await page.textContent('#run-id'), id, 'run id');
    const run = await page.evaluate(u => fetch(u).then(r => r.json()), `/api/runs/${id}/run.json`);
    eq(await page.getAttribute('#run-time', 'datetime'), run.started, 'run time = run.json started');
    const words = await page.textContent('#run-meta');
    const utc = run.started.slice(0, 10) + ' ' + run.started.slice(11, 19) + ' UTC';
    assert(words.includes(utc), `run line "${words}" should show ${utc}`);
    assert(await page.isVisible('#run-meta'), 'run line visible');
  });

  await check('alerts table shows every row of suspicious_accounts.csv, cell for cell', async () => {
    const rows = await tableRows(page);
    eq(rows.length, ref.rows.length, 'row count');
    eq(rows.map(r => r.cells), ref.rows.map(r => r.cells), 'cells');
    eq(await page.textContent('#alert-count'), `${ref.rows.length} of ${ref.rows.length} alerts`, 'count text');
  });

  await check('sorting by total_buy_qty (click), both directions, aria-sort', async () => {
    const btn = '#alerts-head th[data-col="total_buy_qty"] button';
    await page.click(btn);
    eq(await page.getAttribute('#alerts-head th[data-col="total_buy_qty"]', 'aria-sort'), 'ascending', 'aria-sort');
    eq((await tableRows(page)).map(r => r.index), expectedSort(ref, 'total_buy_qty', 'ascending'), 'ascending order');
    await page.click(btn);
    eq(await page.getAttribute('#alerts-head th[data-col="total_buy_qty"]', 'aria-sort'), 'descending', 'aria-sort');
    eq((await tableRows(page)).map(r => r.index), expectedSort(ref, 'total_buy_qty', 'descending'), 'descending order');
    const before = expectedSort(ref, 'total_buy_qty', 'descending');
    assert(JSON.stringify(before) !== JSON.stringify(ref.rows.map(r => r.index)), 'sorting must change the order');
  });

  await check('sorting by keyboard (Enter) on account_id and price_change_percentage', async () => {
    await page.focus('#alerts-head th[data-col="account_id"] button');
    await page.keyboard.press('Enter');
    eq(await page.getAttribute('#alerts-head th[data-col="account_id"]', 'aria-sort'), 'ascending', 'aria-sort');
    eq(await page.getAttribute('#alerts-head th[data-col="total_buy_qty"]', 'aria-sort'), null, 'old column unsorted');
    eq((await tableRows(page)).map(r => r.index), expectedSort(ref, 'account_id', 'ascending'), 'account order');
    await page.focus('#alerts-head th[data-col="price_change_percentage"] button');
    await page.keyboard.press('Enter');
    eq((await tableRows(page)).map(r => r.index), expectedSort(ref, 'price_change_percentage', 'ascending'), 'price change order');
    await page.keyboard.press('Enter');
    eq((await tableRows(page)).map(r => r.index), expectedSort(ref, 'price_change_percentage', 'descending'), 'price change desc');
  });

  await check('type filter and account/product text filter, with "N of M alerts"', async () => {
    const ti = ref.header.indexOf('detection_type'), ai = ref.header.indexOf('account_id'), pi = ref.header.indexOf('product_id');
    const total = ref.rows.length;
    const order = expectedSort(ref, 'price_change_percentage', 'descending');
    for (const type of ['WASH_TRADING', 'LAYERING']) {
      await page.selectOption('#type-filter', type);
      const want = order.filter(i => ref.rows[i].cells[ti] === type);
      eq((await tableRows(page)).map(r => r.index), want, `rows for ${type}`);
      eq(await page.textContent('#alert-count'), `${want.length} of ${total} alerts`, 'count');
      assert(want.length > 0 && want.length < total, 'filter must be meaningful');
    }
    const text = ref.rows[0].cells[ai].slice(0, 4).toLowerCase();
    await page.fill('#text-filter', text.toUpperCase());
    const want = order.filter(i => ref.rows[i].cells[ti] === 'LAYERING' &&
      (ref.rows[i].cells[ai].toLowerCase().includes(text) || ref.rows[i].cells[pi].toLowerCase().includes(text)));
    eq((await tableRows(page)).map(r => r.index), want, 'type + text filter');
    eq(await page.textContent('#alert-count'), `${want.length} of ${total} alerts`, 'count');
    await page.fill('#text-filter', 'nvda');
    await page.selectOption('#type-filter', '');
    const want2 = order.filter(i => ref.rows[i].cells[pi].toLowerCase().includes('nvda') || ref.rows[i].cells[ai].toLowerCase().includes('nvda'));
    eq((await tableRows(page)).map(r => r.index), want2, 'product text filter');
    await page.fill('#text-filter', '');
    eq((await tableRows(page)).length, total, 'filters cleared');
  });

  await check('downloads (plain links) are byte-identical to build/lda reports; run.json matches the run', async () => {
    const sus = await clickDownload(page, '#dl-suspicious');
    assert(sus.bytes.equals(ref.susBytes), 'suspicious_accounts.csv differs from build/lda');
    const det = await clickDownload(page, '#dl-detections');
    assert(det.bytes.equals(ref.detBytes), 'detections.csv differs from build/lda');
    const run = await clickDownload(page, '#dl-run');
    const j = JSON.parse(run.bytes.toString('utf8'));
    eq(j.request_id, orchestrateBody.json.request_id, 'run.json request_id');
    eq(j.event_count, ref.run.event_count, 'run.json event_count');
    eq(j.rejected_count, ref.run.rejected_count, 'run.json rejected_count');
    const id = orchestrateBody.json.request_id;
    eq(await page.getAttribute('#dl-suspicious', 'href'), `/api/runs/${id}/suspicious_accounts.csv`, 'link');
    eq(await page.getAttribute('#dl-detections', 'href'), `/api/runs/${id}/detections.csv`, 'link');
    eq(await page.getAttribute('#dl-run', 'href'), `/api/runs/${id}/run.json`, 'link');
  });

  // Timelines: a layering alert with rejected records in its window, a
  // wash alert of an account that has other alerts, the formula-guarded id.
  const ai = ref.header.indexOf('account_id'), ti = ref.header.indexOf('detection_type');
  const pick = [];
  const rejectedRecs = new Set(ref.run.rejected.map(r => r.row));
  const byRecord = readCsv(fs.readFileSync(MAIN_FIXTURE, 'utf8'), { trim: true });
  const recAccount = new Map(byRecord.map(r => [r.recno, r.fields[1]]));
  const lay = ref.rows.findIndex(r => r.cells[ti] === 'LAYERING' &&
    [...rejectedRecs].some(n => recAccount.get(n) === r.cells[ai]));
  pick.push(lay >= 0 ? lay : ref.rows.findIndex(r => r.cells[ti] === 'LAYERING'));
  const accCount = {};
  ref.rows.forEach(r => { accCount[r.cells[ai]] = (accCount[r.cells[ai]] || 0) + 1; });
  pick.push(ref.rows.findIndex(r => r.cells[ti] === 'WASH_TRADING' && accCount[r.cells[ai]] > 1));
  const guarded = ref.rows.findIndex(r => r.cells[ai].startsWith("'"));
  if (guarded >= 0) pick.push(guarded);

  for (const [k, idx] of pick.entries()) {
    await check(`timeline of alert ${idx} (${idx >= 0 ? ref.rows[idx].cells.slice(0, 2).join(' / ') + ', ' + ref.rows[idx].cells[ti] : '?'})`, async () => {
      assert(idx >= 0, 'no suitable alert in the fixture');
      const exp = expectedTimeline(ref, events, idx);
      assert(exp.shown.length >= 4, 'expected at least 4 events in the window');
      const tl = await showTimeline(page, idx);
      eq(tl.marks.length, exp.shown.length, 'marker count');
      eq(tl.count, exp.shown.length, 'caption count');
      assert(tl.caption.includes(`Showing ${exp.shown.length} events`), 'caption: ' + tl.caption);
      eq(tl.marks.map(m => m.record).sort((a, b) => a - b), exp.shown.map(e => e.recno).sort((a, b) => a - b), 'records shown');
      for (const t of ['ORDER_PLACED', 'ORDER_CANCELLED', 'TRADE_EXECUTED'])
        eq(tl.marks.filter(m => m.type === t).length, exp.shown.filter(e => e.type === t).length, `${t} markers`);
      const shapes = {};
      tl.marks.forEach(m => { (shapes[m.type] = shapes[m.type] || new Set()).add(m.shape); });
      const all = Object.values(shapes).map(s => [...s]);
      assert(all.every(s => s.length === 1), 'one shape per event type');
      assert(new Set(all.map(s => s[0])).size === all.length, 'distinct shapes per type ' + JSON.stringify(all));
      // Price axis: every marker at its record's price, higher prices higher
      // up (smaller y), equal prices level; size grows with the quantity.
      const byRec = new Map(exp.shown.map(e => [e.recno, e]));
      for (const m of tl.marks) {
        const e = byRec.get(m.record);
        eq([m.price, m.qty], [e.price, e.qty.replace(/^\+/, '')], `record ${m.record}: price and quantity`);
      }
      const prices = new Set(tl.marks.map(m => parseFloat(m.price)));
      assert(prices.size >= 2, 'the window should hold at least two prices');
      for (const a of tl.marks) for (const b of tl.marks) {
        const pa = parseFloat(a.price), pb = parseFloat(b.price);
        if (pa > pb) assert(a.y < b.y, `price ${pa} (y ${a.y}) must be above price ${pb} (y ${b.y})`);
        if (pa === pb) assert(Math.abs(a.y - b.y) < 0.2, `equal prices ${pa} at one height`);
        if (a.type === b.type && +a.qty > +b.qty) assert(a.size >= b.size, `quantity ${a.qty} drawn at least as large as ${b.qty}`);
      }
      const big = tl.marks.reduce((m, x) => (+x.qty > +m.qty ? x : m)), small = tl.marks.reduce((m, x) => (+x.qty < +m.qty ? x : m));
      if (big.type === small.type && +big.qty > 2 * +small.qty) assert(big.size > small.size, 'size by quantity');
      assert(tl.priceLabels >= 2, 'price axis has labels');
      eq(tl.windows, 1, 'one shaded detection window');
      assert(tl.ticks >= 2, 'time axis has ticks');
      assert(tl.legend >= 4, 'legend');
      if (k === 0) {
        await page.screenshot({ path: path.join(ART, 'result.png'), fullPage: true });
        await (await page.$('#timeline')).screenshot({ path: path.join(ART, 'timeline.png') });
      }
    });
  }

  await check('legend matches the markers: shape per event type, colour per side (computed styles)', async () => {
    const tl = await showTimeline(page, pick[0]);
    const legend = await page.evaluate(() => {
      const out = {};
      document.querySelectorAll('#timeline .legend g.marker').forEach(g => {
        const sh = g.querySelector('.shape'), cs = getComputedStyle(sh);
        const type = g.closest('li').getAttribute('data-type');
        const side = g.classList.contains('buy') ? 'BUY' : 'SELL';
        out[type + ' ' + side] = { tag: sh.tagName, cls: sh.getAttribute('class'), stroke: cs.stroke, fill: cs.fill };
      });
      const side = {};
      document.querySelectorAll('#timeline .legend .legend-side').forEach(s => {
        side[s.classList.contains('buy') ? 'BUY' : 'SELL'] = { text: s.textContent.trim(),
          swatch: getComputedStyle(s.querySelector('.swatch')).fill, color: getComputedStyle(s).color };
      });
      return { out, side, text: document.querySelector('#timeline .legend').textContent };
    });
    eq(Object.keys(legend.out).length, 6, 'legend: 3 event types x 2 sides');
    const seen = new Set();
    for (const m of tl.marks) {
      const l = legend.out[m.type + ' ' + m.side];
      assert(l, 'legend entry for ' + m.type + ' ' + m.side);
      eq([l.tag + ':' + l.cls, l.stroke, l.fill], [m.shape, m.stroke, m.fill], `legend vs marker ${m.type} ${m.side}`);
      seen.add(m.side);
      eq(legend.side[m.side].swatch, m.stroke, `side swatch colour of ${m.side}`);
    }
    assert(seen.has('BUY') && seen.has('SELL'), 'the timeline shows both sides');
    assert(legend.side.BUY.swatch !== legend.side.SELL.swatch, 'sides differ in colour');
    assert(/BUY blue/.test(legend.side.BUY.text) && /SELL red/.test(legend.side.SELL.text), 'side words');
    assert(/Colour is the side/.test(legend.text) && /price/.test(legend.text) && /quantity/.test(legend.text), 'legend explains colour, height, size');
    const trade = tl.marks.find(m => m.type === 'TRADE_EXECUTED' && m.side === 'SELL');
    if (trade) eq(trade.fill, legend.side.SELL.swatch, 'a SELL trade is filled with the SELL colour');
    await (await page.$('#timeline')).screenshot({ path: path.join(ART, 'timeline-legend.png') });
  });

  await check('375 px wide: no horizontal scroll of the body, timeline fits', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.waitForTimeout(400); // resize redraw is debounced (200 ms)
    const m = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: window.innerWidth,
      svg: document.getElementById('timeline-svg').getBoundingClientRect().right,
    }));
    assert(m.doc <= m.inner && m.body <= m.inner, `scrollWidth ${m.doc}/${m.body} > ${m.inner}`);
    assert(m.svg <= m.inner, `timeline right edge ${m.svg} > ${m.inner}`);
    await page.screenshot({ path: path.join(ART, 'mobile-375.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await check('a file with missing columns shows the server\'s 400 reason', async () => {
    assert(refMissing.rc === 1, 'build/lda should reject the missing-column fixture');
    const [resp] = await Promise.all([
      page.waitForResponse(r => r.url().endsWith('/api/orchestrate')), uploadFile(page, MISSING_FIXTURE)]);
    orchestrateBody = { status: resp.status(), json: await resp.json() };
    await page.waitForSelector('body[data-state="error"]');
    await page.waitForFunction(() => !document.getElementById('error').hidden);
    eq(orchestrateBody && orchestrateBody.status, 400, 'server status');
    const reason = orchestrateBody.json.error;
    assert(typeof reason === 'string' && reason.length > 0, 'server gave a reason');
    const txt = await page.textContent('#error');
    assert(txt.includes(reason), `error box "${txt}" should contain "${reason}"`);
    for (const c of ['quantity', 'event_type']) assert(txt.includes(c), `names missing column ${c}`);
    assert(!txt.includes('{') && !txt.includes('"error"'), 'no raw JSON shown');
    assert(await page.isHidden('#alerts'), 'no stale alert table after an error');
    await page.screenshot({ path: path.join(ART, 'error-400.png') });
  });

  await check('no uncaught page errors, no external requests', async () => {
    eq(page.__errors, [], 'page errors');
    eq(page.__external, [], 'external requests');
  });

  // ---------------------------------------------------------------- issue 14 page parts

  await check('no console error, no failed request and no 404 (favicon) during a run', async () => {
    const { page: cp } = await newPage(browser, srv.url);
    const bad = [];
    cp.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') bad.push(`console ${m.type()}: ${m.text()}`); });
    cp.on('response', r => { if (r.status() >= 400) bad.push(`${r.status()} ${r.url()}`); });
    cp.on('requestfailed', r => bad.push(`failed ${r.url()}`));
    await cp.reload();   // the listeners see the page load itself
    await cp.waitForTimeout(300);
    await uploadFile(cp, MAIN_FIXTURE);
    await cp.waitForSelector('body[data-state="done"]');
    await showTimeline(cp, pick[0]);
    const icon = await cp.evaluate(() => {
      const l = document.querySelector('link[rel~="icon"]');
      return l && fetch(l.href).then(r => ({ status: r.status, type: r.headers.get('content-type') }));
    });
    assert(icon, 'the page names an icon');
    eq(icon.status, 200, 'favicon status');
    assert(/svg/.test(icon.type), 'favicon type ' + icon.type);
    eq(bad, [], 'console errors or failed requests');
    eq(cp.__errors, [], 'page errors');
  });

  await check('a .csv.gz chosen directly is sent as it is; same table; timeline read through DecompressionStream', async () => {
    const gzFile = tmpPath(path.join(os.tmpdir(), `lda-br-${process.pid}-mixed.csv.gz`));
    fs.writeFileSync(gzFile, zlib.gzipSync(fs.readFileSync(MAIN_FIXTURE)));
    const { page: gp } = await newPage(browser, srv.url);
    await gp.setInputFiles('#file', gzFile);
    assert(/gzip-compressed, sent as it is/.test(await gp.textContent('#file-chosen')), 'chosen line says gzip');
    const [req] = await Promise.all([gp.waitForRequest(r => r.url().endsWith('/api/orchestrate')), gp.click('#upload-button')]);
    await gp.waitForSelector('body[data-state="done"]');
    const h = req.headers();
    assert(!h['content-encoding'], 'no Content-Encoding for a file sent as it is');
    assert(/multipart\/form-data/.test(h['content-type']), 'multipart');
    const part = await gp.evaluate(() => window.__sent.get('file').arrayBuffer().then(b => Array.from(new Uint8Array(b))));
    assert(Buffer.from(part).equals(fs.readFileSync(gzFile)), 'the file part is the .csv.gz, byte for byte');
    const id = await gp.textContent('#run-id');
    const inflated = serverInflated(srv, id);
    eq([inflated.what, inflated.bytes], ['file part', fs.statSync(MAIN_FIXTURE).size], 'server log: input inflated');
    eq((await tableRows(gp)).map(r => r.cells), ref.rows.map(r => r.cells), 'table from the .csv.gz');
    const sent = await gp.textContent('#run-sent');
    const raw = fs.statSync(MAIN_FIXTURE).size;
    assert(sent.includes('as it is') && sent.includes(fmtBytes(fs.statSync(gzFile).size)) && sent.includes(fmtBytes(raw)),
           'both sizes shown: ' + sent);
    const tl = await showTimeline(gp, pick[0]);
    eq(tl.marks.length, expectedTimeline(ref, events, pick[0]).shown.length, 'timeline from the .csv.gz');
    await gp.screenshot({ path: path.join(ART, 'csv-gz.png'), fullPage: true });
    eq(gp.__errors, [], 'page errors');
  });

  await check('the page\'s header words are the server\'s (;-separated, UTF-16, gzip inside gzip)', async () => {
    const header = 'timestamp,account_id,product_id,side,price,quantity,event_type\n';
    const row = '2025-10-27T10:00:00Z,A,P,BUY,1,1,ORDER_PLACED\n';
    const cases = {
      semicolon: Buffer.from((header + row).replace(/,/g, ';')),
      utf16: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header + row, 'utf16le')]),
      gzip2: zlib.gzipSync(zlib.gzipSync(Buffer.from(header + row))),
      tabs: Buffer.from((header + row).replace(/,/g, '\t')),
    };
    for (const [name, buf] of Object.entries(cases)) {
      const r = await fetch(srv.url + 'api/orchestrate', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: buf });
      const server = (await r.json()).error;
      eq(r.status, 400, name + ': server status');
      // the page sees the bytes after its own one layer of inflating, as the server does
      const inner = name === 'gzip2' ? zlib.gunzipSync(buf) : buf;
      const words = await page.evaluate(b => window.ldaPage.describeLook(new Uint8Array(b)), [...inner]);
      assert(words && server.includes(words), `${name}: page says "${words}", server "${server}"`);
    }
  });

  await check('mostly rejected input: a prominent warning, not a green "completed"; reasons listed open', async () => {
    const lines = ['timestamp,account_id,product_id,side,price,quantity,event_type'];
    for (let i = 0; i < 3; i++) lines.push(`2025-10-27T10:00:0${i}Z,ACC1,P1,BUY,10.5,100,ORDER_PLACED`);
    for (let i = 0; i < 9; i++) lines.push(`27/10/2025 10:00:0${i},ACC1,P1,BUY,10.5,100,ORDER_PLACED`);
    const file = tmpPath(path.join(os.tmpdir(), `lda-br-${process.pid}-rejected.csv`));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const { page: rp } = await newPage(browser, srv.url);
    await uploadFile(rp, file);
    await rp.waitForSelector('body[data-state="done"]');
    assert(await rp.isVisible('#quality-warn'), 'warning visible');
    eq(await rp.getAttribute('#quality-warn', 'role'), 'alert', 'announced');
    const txt = await rp.textContent('#quality-warn');
    assert(/Most records were rejected/.test(txt) && txt.includes('9 of 12') && txt.includes('75 %'), 'warning words: ' + txt);
    const sv = await rp.getAttribute('#sum-services', 'class');
    assert(!/\bok\b/.test(sv) && /warn/.test(sv), 'services box is not the green one: ' + sv);
    eq(await rp.getAttribute('#rejected-details', 'open'), '', 'reasons listed open');
    eq(await rp.$$eval('#rejected-list li', l => l.length), 9, 'nine reasons');
    assert(/most records were rejected/i.test(await rp.textContent('#status')), 'status line says so');
    await rp.screenshot({ path: path.join(ART, 'mostly-rejected.png'), fullPage: true });
    eq(rp.__errors, [], 'page errors');
  });

  await check('20,000 alerts: compressed upload (gzip body), render and filter keystroke times; plain upload gives the same reports', async () => {
    const big = tmpPath(path.join(os.tmpdir(), `lda-br-${process.pid}-20k.csv`));
    fs.writeFileSync(big, alerts20k());
    const size = fs.statSync(big).size;
    const bigRef = reference(big);
    eq([bigRef.rc, bigRef.rows.length], [0, 20000], 'build/lda on the 20,000-alert input');
    const { page: bp } = await newPage(browser, srv.url);
    const compress = await bp.evaluate(() => typeof CompressionStream === 'function' && !!document.getElementById('compress'));
    const run = async (compressed) => {
      if (compress) await bp.setChecked('#compress', compressed);
      await bp.setInputFiles('#file', big);
      const [req, resp] = await Promise.all([
        bp.waitForRequest(r => r.url().endsWith('/api/orchestrate')),
        bp.waitForResponse(r => r.url().endsWith('/api/orchestrate')),
        bp.click('#upload-button')]);
      await bp.waitForSelector('body[data-state="done"]', { timeout: 60000 });
      await bp.waitForFunction(() => window.__timing.painted > window.__timing.done);
      const t = await bp.evaluate(() => window.__timing);
      const id = (await resp.json()).request_id;
      const sus = Buffer.from(await (await fetch(`${srv.url}api/runs/${id}/suspicious_accounts.csv`)).arrayBuffer());
      const body = await bp.evaluate(() => (window.__sent instanceof Blob ? new Promise(resolve => {
        const r = new FileReader();
        r.onload = () => resolve(r.result.slice(r.result.indexOf(',') + 1));
        r.readAsDataURL(window.__sent);
      }) : null));
      return { req, render: t.painted - t.answer, sus, id, body: body && Buffer.from(body, 'base64') };
    };
    const gz = await run(true);
    const h = gz.req.headers();
    const body = gz.body;
    const renderMs = Math.round(gz.render);
    if (compress) {
      eq([h['content-encoding'], h['content-type']], ['gzip', 'text/csv'], 'compressed request headers');
      assert(body && body[0] === 0x1f && body[1] === 0x8b, 'the body arrives gzip');
      assert(zlib.gunzipSync(body).equals(fs.readFileSync(big)), 'the body inflates to the file');
      const inflated = serverInflated(srv, gz.id);
      eq([inflated.what, inflated.compressed, inflated.bytes], ['body', body.length, size], 'server log: input inflated');
      const sent = await bp.textContent('#run-sent');
      assert(sent.includes(fmtBytes(size)) && sent.includes(fmtBytes(body.length)) && /gzip-compressed/.test(sent),
             `both sizes (${fmtBytes(size)}, ${fmtBytes(body.length)}): ${sent}`);
      await (await bp.$('#summary')).screenshot({ path: path.join(ART, 'compressed-upload.png') });
    }
    assert(gz.sus.equals(bigRef.susBytes), 'report of the compressed upload equals build/lda');
    const count = await bp.textContent('#alert-count');
    assert(count.startsWith('20000 of 20000 alerts'), 'count: ' + count);
    const shown = (await tableRows(bp)).length;
    const shotTop = async (sel, name) => {    // the first 900 px of a section
      const b = await bp.$eval(sel, e => { const r = e.getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }; });
      await bp.screenshot({ path: path.join(ART, name), fullPage: true,
                            clip: { x: b.x, y: b.y, width: b.width, height: Math.min(b.height, 900) } });
    };
    await shotTop('#alerts', 'alerts-20000.png');

    // Filter keystrokes: time from the input event to the laid-out table.
    const keys = await bp.evaluate(async text => {
      const input = document.getElementById('text-filter');
      input.value = '';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const times = [];
      for (const c of text) {
        const t0 = performance.now();
        input.value += c;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        void document.body.offsetHeight;            // force style and layout
        times.push(performance.now() - t0);
        await new Promise(r => setTimeout(r, 0));
      }
      return times;
    }, 'acc0001');
    const want = bigRef.rows.filter(r => r.cells[ai].toLowerCase().includes('acc0001') ||
                                         r.cells[ref.header.indexOf('product_id')].toLowerCase().includes('acc0001')).length;
    const after = await bp.textContent('#alert-count');
    assert(after.startsWith(`${want} of 20000 alerts`), `filtered count ${after}, expected ${want}`);
    const worst = Math.round(Math.max(...keys));
    log(`# 20,000 alerts: ${fmtBytes(size)} sent as ${body ? fmtBytes(body.length) : '?'}; render ${renderMs} ms ` +
        `(answer to laid-out table, reports fetched and parsed); filter keystrokes ${keys.map(k => Math.round(k)).join('/')} ms ` +
        `(worst ${worst}); ${shown} rows in the DOM`);
    if (!process.env.LDA_WWW) {
      assert(shown === 100, '100 rows per page, got ' + shown);
      await bp.fill('#text-filter', '');
      await bp.click('#page-next');
      eq((await tableRows(bp)).map(r => r.index), bigRef.rows.slice(100, 200).map(r => r.index), 'page 2');
      assert((await bp.textContent('#alert-count')).includes('rows 101–200'), 'page 2 count');
      await shotTop('#alerts', 'alerts-20000-page2.png');
      // a timeline among 20,000 alerts: the 9 MB file is scanned once
      const t0 = Date.now();
      await bp.click('#alerts-body tr[data-index="150"] button.show-timeline');
      await bp.waitForFunction(() => document.getElementById('timeline-caption').hasAttribute('data-count') &&
        document.getElementById('timeline').getAttribute('aria-busy') === 'false', null, { timeout: 60000 });
      const tlMs = Date.now() - t0;
      eq(await bp.getAttribute('#timeline-caption', 'data-count'), '7', 'timeline of alert 150: its 7 events');
      const t1 = Date.now();
      await bp.waitForFunction(() => document.getElementById('timeline-chart').getAttribute('data-evidence') === 'done', null, { timeout: 60000 });
      const ringMs = tlMs + Date.now() - t1;
      eq(await bp.$$eval('#timeline-svg .marker[data-evidence="true"]', m => m.length), 7, 'alert 150: its 7 records ringed');
      const am = await bp.evaluate(() => window.ldaPage.alertsTiming());
      log(`# 20,000 alerts: first timeline (scan of the file) ${tlMs} ms; its records ringed at ${ringMs} ms ` +
          `(alerts.json, read after the file: fetch ${am && am.fetch} ms, parse ${am && am.parse} ms)`);
      assert(renderMs < 2000, `render ${renderMs} ms should be under 2 s`);
      assert(worst < 1000, `filter keystroke ${worst} ms should be under 1 s`);
    }

    if (compress) {   // the same file sent plain: identical reports
      const plain = await run(false);
      const ph = plain.req.headers();
      assert(!ph['content-encoding'] && /multipart\/form-data/.test(ph['content-type']), 'plain upload is multipart, not encoded');
      assert(plain.sus.equals(gz.sus), 'plain and compressed uploads give the same report');
    }
    eq(bp.__errors, [], 'page errors');
  });

  // Recent runs and the data-quality summary. The small input: the
  // fixture's header and first 20 records (not in time order) plus a copy
  // of its third record; its name holds markup, which must stay text.
  const fixLines = fs.readFileSync(MAIN_FIXTURE, 'utf8').split('\n').filter(l => l.trim() !== '');
  const dqDir = tmpPath(fs.mkdtempSync(path.join(os.tmpdir(), 'lda-br-dq-')));
  const dqFile = path.join(dqDir, 'dq-<b>x<b>&amp;.csv');
  fs.writeFileSync(dqFile, [...fixLines.slice(0, 21), fixLines[3]].join('\n') + '\n');
  const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many);
  const runJson = (pg, id) => pg.evaluate(u => fetch(u).then(r => r.json()), `/api/runs/${id}/run.json`);
  const uploadRun = async (pg, file) => {
    const [resp] = await Promise.all([pg.waitForResponse(r => r.url().endsWith('/api/orchestrate')), uploadFile(pg, file)]);
    await pg.waitForSelector('body[data-state="done"]');
    const id = (await resp.json()).request_id;
    await pg.waitForFunction(i => document.getElementById('run-id').textContent === i, id);
    return id;
  };

  await check('data-quality summary: the figures of run.json, duplicates and out-of-order highlighted', async () => {
    const refDq = reference(dqFile).run.data_quality;
    assert(refDq && refDq.duplicates > 0 && refDq.out_of_order > 0, 'the input must have a duplicate and an out-of-order row: ' + JSON.stringify(refDq));
    const { page: qp } = await newPage(browser, srv.url);
    const id = await uploadRun(qp, dqFile);
    const dq = (await runJson(qp, id)).data_quality;
    eq(dq, refDq, 'server data_quality = build/lda data_quality');
    const shown = await qp.$$eval('#dq-list > div', ds => ds.map(d => ({
      key: d.getAttribute('data-key'), value: d.querySelector('dd').textContent, flag: d.classList.contains('flag'),
      bg: getComputedStyle(d).backgroundColor })));
    const want = {};
    for (const [t, n] of Object.entries(dq.event_types)) want['event_types.' + t] = String(n);
    for (const k of ['accounts', 'products', 'duplicates', 'out_of_order', 'first_timestamp', 'last_timestamp']) want[k] = String(dq[k]);
    eq(Object.fromEntries(shown.map(x => [x.key, x.value]).sort()), Object.fromEntries(Object.entries(want).sort()), 'figures shown');
    eq(shown.filter(x => x.flag).map(x => x.key).sort(), ['duplicates', 'out_of_order'], 'highlighted figures');
    const plain = shown.find(x => !x.flag).bg, hl = shown.find(x => x.flag).bg;
    assert(plain !== hl, `highlight must be visible (background ${plain} vs ${hl})`);
    assert(await qp.isVisible('#dq-note'), 'a note explains the highlighted figures');
    eq(qp.__errors, [], 'page errors');
  });

  await check('recent runs after reload: newest first with counts; the older reopens with its table and downloads', async () => {
    const { page: hp } = await newPage(browser, srv.url);
    const ids = [];
    for (const f of [MAIN_FIXTURE, dqFile]) {
      ids.push(await uploadRun(hp, f));
      // the panel is refreshed after each run
      await hp.waitForFunction(i => { const li = document.querySelector('#runs-list li'); return li && li.getAttribute('data-id') === i; }, ids[ids.length - 1]);
    }
    await hp.reload();
    await hp.waitForFunction(() => document.querySelectorAll('#runs-list li').length >= 2);
    const list = await hp.$$eval('#runs-list li', lis => lis.map(li => ({
      id: li.getAttribute('data-id'), name: li.querySelector('.run-name').textContent,
      counts: li.querySelector('.run-counts').textContent, markup: li.querySelectorAll('b').length })));
    eq(list.slice(0, 2).map(x => x.id), [ids[1], ids[0]], 'newest first');
    assert(list.length <= 20, 'at most 20 runs on the first page');
    const all = await hp.evaluate(() => fetch('/api/runs?limit=20').then(r => r.json()));
    eq(list.map(x => x.id), all.runs.map(r => r.request_id), 'the list is /api/runs');
    for (const [k, id] of [ids[1], ids[0]].entries()) {
      const run = await runJson(hp, id);
      eq(list[k].name, run.input_name, 'input name shown as text');
      eq(list[k].markup, 0, 'no markup from the server');
      const want = [plural(run.event_count, 'event', 'events'), `${run.rejected_count} rejected`,
                    `${run.alerts.LAYERING} layering`, `${run.alerts.WASH_TRADING} wash trading`].join(', ');
      eq(list[k].counts, want, `counts of run ${k}`);
    }
    eq(list[0].name, path.basename(dqFile), 'newest is the data-quality input');
    // "More": with pages of 1 (data-limit), the next page continues after the last id.
    await hp.evaluate(() => document.getElementById('runs').setAttribute('data-limit', '1'));
    await hp.click('#runs-refresh');
    await hp.waitForFunction(() => document.querySelectorAll('#runs-list li').length === 1 && !document.getElementById('runs-more').hidden);
    await hp.click('#runs-more');
    await hp.waitForFunction(() => document.querySelectorAll('#runs-list li').length === 2);
    eq(await hp.$$eval('#runs-list li', lis => lis.map(li => li.getAttribute('data-id'))), list.slice(0, 2).map(x => x.id), 'More appends the next page');
    assert(await hp.evaluate(() => document.activeElement && document.activeElement.closest('#runs-list li:nth-child(2)')), 'focus on the first new run');
    await hp.click(`#runs-list button.open-run[data-id="${ids[0]}"]`);
    await hp.waitForFunction(i => document.body.getAttribute('data-state') === 'done' &&
      document.getElementById('run-id').textContent === i, ids[0]);
    eq((await tableRows(hp)).map(r => r.cells), ref.rows.map(r => r.cells), 'reopened table = build/lda report');
    eq(await hp.textContent('#sum-events'), String(ref.run.event_count), 'events read');
    eq(await hp.textContent('#sum-rejected'), String(ref.run.rejected_count), 'rejected');
    for (const [sel, name] of [['#dl-suspicious', 'suspicious_accounts.csv'], ['#dl-detections', 'detections.csv'], ['#dl-run', 'run.json']])
      eq(await hp.getAttribute(sel, 'href'), `/api/runs/${ids[0]}/${name}`, 'download link');
    const sus = await clickDownload(hp, '#dl-suspicious');
    assert(sus.bytes.equals(ref.susBytes), 'reopened suspicious_accounts.csv differs from build/lda');
    eq(await hp.getAttribute(`#runs-list button.open-run[data-id="${ids[0]}"]`, 'aria-current'), 'true', 'open run marked');
    const dq0 = (await runJson(hp, ids[0])).data_quality;
    eq(await hp.$$eval('#dq-list > div.flag', ds => ds.map(d => d.getAttribute('data-key')).sort()),
       ['duplicates', 'out_of_order'].filter(k => dq0[k] > 0), 'highlights of the reopened run');
    eq(await hp.textContent('#dq-list > div[data-key="accounts"] dd'), String(dq0.accounts), 'its data quality');
    await hp.screenshot({ path: path.join(ART, 'recent-runs.png'), fullPage: true });
    await hp.setViewportSize({ width: 375, height: 800 });
    const m = await hp.evaluate(() => ({ doc: document.documentElement.scrollWidth, inner: window.innerWidth,
      runs: document.getElementById('runs').getBoundingClientRect().right }));
    assert(m.doc <= m.inner && m.runs <= m.inner, `375 px: scrollWidth ${m.doc}, runs right ${m.runs} > ${m.inner}`);
    eq(hp.__errors, [], 'page errors');
  });

  // ---------------------------------------------------------------- issue 14: evidence (alerts.json)
  // The fixture with one more record right after the header whose venue
  // holds a quoted newline, and a blank line: from there on, record numbers
  // are not line numbers, so a page counting lines would show wrong events.
  const evText = (() => {
    const t = fs.readFileSync(MAIN_FIXTURE, 'utf8'), nl = t.indexOf('\n') + 1;
    return t.slice(0, nl) + '2025-10-27T08:00:00Z,NOTE1,QQQ,BUY,1.00,1,ORDER_PLACED,"floor\nbooth 2"\n\n' + t.slice(nl);
  })();
  const evFile = tmpPath(path.join(os.tmpdir(), `lda-br-${process.pid}-evidence.csv`));
  fs.writeFileSync(evFile, evText);
  const evRef = reference(evFile);
  const evRecs = readCsv(evText, { trim: true });
  const evCol = {};
  evRecs[0].fields.forEach((f, i) => { evCol[f.toLowerCase()] = i; });
  const evByRec = new Map(evRecs.map(r => [r.recno, r]));
  const evLines = evText.split('\n');
  // [record, timestamp, side, type, price, quantity] as written in the file
  const fileEvent = n => {
    const f = evByRec.get(n).fields;
    return [String(n), f[evCol.timestamp], f[evCol.side], f[evCol.event_type], f[evCol.price], f[evCol.quantity]];
  };
  const evNum = v => (Number.isInteger(v) ? String(v) : String(+v.toFixed(4)));
  const alertsJson = (pg, id) => pg.evaluate(u => fetch(u).then(r => r.json()), `/api/runs/${id}/alerts.json`);
  // The evidence panel of row `index`, read from the page.
  const readEvidence = (pg, index) => pg.evaluate(i => {
    const box = document.getElementById('evidence-' + i);
    if (!box) return null;
    const btn = document.querySelector(`#alerts-body button.show-evidence[data-index="${i}"]`);
    return {
      expanded: btn.getAttribute('aria-expanded'), controls: btn.getAttribute('aria-controls'),
      label: box.getAttribute('aria-label'),
      clauses: Array.from(box.querySelectorAll('table.clauses tbody tr')).map(tr => {
        const c = tr.querySelectorAll('th, td');
        return { clause: c[0].textContent, observed: c[1].textContent, threshold: c[2].textContent,
                 observedValue: c[1].getAttribute('data-value'), thresholdValue: c[2].getAttribute('data-value') };
      }),
      records: box.querySelector('.record-list').getAttribute('data-records'),
      recordText: box.querySelector('.record-list').textContent,
      events: Array.from(box.querySelectorAll('table.record-events tbody tr')).map(tr =>
        Array.from(tr.querySelectorAll('th, td')).map(c => c.textContent)),
      needFile: box.querySelector('.need-file') ? box.querySelector('.need-file').textContent : null,
    };
  }, index);
  const openEvidence = async (pg, index, { keyboard = false } = {}) => {
    const sel = `#alerts-body button.show-evidence[data-index="${index}"]`;
    if (keyboard) { await pg.focus(sel); await pg.keyboard.press('Enter'); } else await pg.click(sel);
    await pg.waitForFunction(i => {
      const box = document.getElementById('evidence-' + i);
      return box && box.getAttribute('aria-busy') === 'false' && box.querySelector('.record-list') &&
        (box.querySelector('table.record-events') || box.querySelector('.need-file'));
    }, index);
    return readEvidence(pg, index);
  };
  // Timeline markers of the alert's records (data-evidence) and the others.
  const timelineEvidence = pg => pg.evaluate(() => {
    const marks = Array.from(document.querySelectorAll('#timeline-svg .marker'));
    const pick = v => marks.filter(m => m.getAttribute('data-evidence') === v);
    return {
      all: marks.length,
      ringed: pick('true').map(m => +m.getAttribute('data-record')).sort((a, b) => a - b),
      other: pick('false').map(m => +m.getAttribute('data-record')),
      rings: document.querySelectorAll('#timeline-svg .marker .evidence-ring').length,
      ringsOnEvidence: document.querySelectorAll('#timeline-svg .marker.evidence .evidence-ring').length,
      contextOpacity: pick('false').map(m => +getComputedStyle(m).opacity),
      evidenceOpacity: pick('true').map(m => +getComputedStyle(m).opacity),
      rows: Array.from(document.querySelectorAll('#events-body tr.evidence')).map(tr => +tr.getAttribute('data-record')).sort((a, b) => a - b),
      caption: document.getElementById('timeline-caption').textContent,
    };
  });
  const checkEvidence = async (pg, index, alert, what) => {
    const ev = await readEvidence(pg, index);
    eq(ev.expanded, 'true', `${what}: aria-expanded`);
    eq(ev.controls, 'evidence-' + index, `${what}: aria-controls names the panel`);
    eq(ev.clauses.map(c => [c.clause, c.observedValue, c.thresholdValue]),
       alert.evidence.map(c => [c.clause, String(c.observed), String(c.threshold)]), `${what}: clauses = alerts.json`);
    eq(ev.clauses.map(c => [c.observed, c.threshold]), alert.evidence.map(c => [evNum(c.observed), evNum(c.threshold)]),
       `${what}: figures shown`);
    assert(alert.evidence.length >= 2, `${what}: alerts.json should give at least 2 clauses`);
    eq(ev.records, alert.records.join(' '), `${what}: record numbers = alerts.json`);
    assert(ev.recordText.includes(alert.records.join(', ')), `${what}: record numbers shown: ` + ev.recordText);
    eq(ev.events, alert.records.map(fileEvent), `${what}: events = the file's records at those numbers`);
    // these records sit on other line numbers (the quoted newline and the blank line)
    for (const n of alert.records) {
      const f = evByRec.get(n).fields;
      const line = 1 + evLines.findIndex(l => l.startsWith(f[evCol.timestamp] + ',') && l.includes(f[evCol.account_id].split(',')[0]));
      assert(line > 0 && line !== n, `${what}: record ${n} must not be line ${line}`);
    }
    return ev;
  };

  await check('evidence (alerts.json): a layering and a wash alert, clauses and records equal to alerts.json and the file', async () => {
    assert(evRef.rc === 0, 'build/lda on the evidence fixture: ' + evRef.stderr);
    const { page: vp } = await newPage(browser, srv.url);
    const id = await uploadRun(vp, evFile);
    const list = await alertsJson(vp, id);
    eq(list, JSON.parse(fs.readFileSync(path.join(evRef.dir, 'alerts.json'), 'utf8')), 'server alerts.json = build/lda alerts.json');
    eq(list.length, evRef.rows.length, 'one alerts.json entry per report row');
    const ti = evRef.header.indexOf('detection_type');
    const lay = evRef.rows.findIndex(r => r.cells[ti] === 'LAYERING');
    const wash = evRef.rows.findIndex(r => r.cells[ti] === 'WASH_TRADING');
    assert(lay >= 0 && wash >= 0, 'the fixture gives both types');
    assert(list[lay].records.every(n => n > 3) && list[wash].records.every(n => n > 3), 'records after the quoted newline');
    // layering: opened with the keyboard
    await openEvidence(vp, lay, { keyboard: true });
    await checkEvidence(vp, lay, list[lay], 'layering');
    await (await vp.$(`#alerts-body tr[data-evidence-for="${lay}"]`)).screenshot({ path: path.join(ART, 'evidence-layering.png') });
    // the timeline from the panel: exactly the records ringed, the others faded
    await vp.click(`#evidence-${lay} button.evidence-timeline`);
    await vp.waitForFunction(() => document.getElementById('timeline-caption').hasAttribute('data-count') &&
      document.getElementById('timeline').getAttribute('aria-busy') === 'false' &&
      document.getElementById('timeline-chart').getAttribute('data-evidence') === 'done');
    const tl = await timelineEvidence(vp);
    eq(tl.ringed, list[lay].records.slice().sort((a, b) => a - b), 'ringed markers = the alert\'s records');
    eq(tl.ringed.length + tl.other.length, tl.all, 'every marker says whether it is a record of the alert');
    eq([tl.rings, tl.ringsOnEvidence], [list[lay].records.length, list[lay].records.length], 'one ring per record, none elsewhere');
    assert(tl.other.length > 0, 'the group has other events in the window');
    assert(tl.contextOpacity.every(o => o < 0.6) && tl.evidenceOpacity.every(o => o === 1), 'others faded: ' + JSON.stringify(tl.contextOpacity));
    eq(tl.rows, tl.ringed, 'events table marks the same records');
    assert(tl.caption.includes(`Ringed: ${list[lay].records.length} records`), 'caption: ' + tl.caption);
    await (await vp.$('#timeline')).screenshot({ path: path.join(ART, 'timeline-evidence.png') });
    // wash: reached through a sorted and filtered table (row -> alerts.json index kept)
    await vp.click('#alerts-head th[data-col="account_id"] button');
    await vp.click('#alerts-head th[data-col="account_id"] button');
    await vp.selectOption('#type-filter', 'WASH_TRADING');
    const shown = (await tableRows(vp)).map(r => r.index);
    assert(shown.includes(wash) && shown[0] !== wash, 'the wash alert is not first in the sorted, filtered table: ' + shown);
    await openEvidence(vp, wash);
    const ev = await checkEvidence(vp, wash, list[wash], 'wash');
    assert(ev.label.includes(list[wash].account_id) && ev.label.includes(list[wash].detected_timestamp), 'panel names its alert: ' + ev.label);
    assert(ev.clauses.some(c => /volume/.test(c.clause)), 'wash clauses name the volume');
    await (await vp.$(`#alerts-body tr[data-evidence-for="${wash}"]`)).screenshot({ path: path.join(ART, 'evidence-wash.png') });
    await vp.click(`#evidence-${wash} button.evidence-timeline`);
    await vp.waitForFunction(i => document.querySelector(`#alerts-body tr[data-index="${i}"] button.show-timeline[aria-pressed="true"]`) &&
      document.getElementById('timeline').getAttribute('aria-busy') === 'false' &&
      document.getElementById('timeline-chart').getAttribute('data-evidence') === 'done', wash);
    const tw = await timelineEvidence(vp);
    eq(tw.ringed, list[wash].records.slice().sort((a, b) => a - b), 'wash: ringed markers = its records');
    eq(tw.rings, list[wash].records.length, 'wash: one ring per record');
    // the panels stay open across a page re-render; Enter closes one
    eq(await vp.$$eval('#alerts-body tr.evidence-row', t => t.length), 1, 'only the visible row\'s panel is in the table');
    await vp.focus(`#alerts-body button.show-evidence[data-index="${wash}"]`);
    await vp.keyboard.press('Enter');
    eq(await vp.getAttribute(`#alerts-body button.show-evidence[data-index="${wash}"]`, 'aria-expanded'), 'false', 'closed');
    eq(await vp.$(`#evidence-${wash}`), null, 'panel removed');
    await vp.screenshot({ path: path.join(ART, 'evidence.png'), fullPage: true });
    await openEvidence(vp, wash);
    await vp.setViewportSize({ width: 375, height: 800 });
    const m = await vp.evaluate(() => ({ doc: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert(m.doc <= m.inner, `375 px with an evidence panel open: scrollWidth ${m.doc} > ${m.inner}`);
    eq(vp.__errors, [], 'page errors');
  });

  await check('evidence of a run reopened from the history: record numbers, the file asked for, then its events', async () => {
    const { page: op } = await newPage(browser, srv.url);
    const r = await op.evaluate(() => fetch('/api/runs?limit=50').then(x => x.json()));
    const run = r.runs.find(x => x.input_name === path.basename(evFile));
    assert(run, 'the evidence run is listed');
    await op.click(`#runs-list button.open-run[data-id="${run.request_id}"]`);
    await op.waitForFunction(i => document.body.getAttribute('data-state') === 'done' &&
      document.getElementById('run-id').textContent === i, run.request_id);
    const list = await alertsJson(op, run.request_id);
    const ti = evRef.header.indexOf('detection_type');
    const lay = evRef.rows.findIndex(x => x.cells[ti] === 'LAYERING');
    const ev = await openEvidence(op, lay);
    eq(ev.records, list[lay].records.join(' '), 'record numbers without the file');
    assert(ev.needFile && /input file is needed/.test(ev.needFile), 'says the file is needed: ' + ev.needFile);
    eq(ev.events, [], 'no events without the file');
    eq(ev.clauses.map(c => c.clause), list[lay].evidence.map(c => c.clause), 'clauses without the file');
    await op.setInputFiles(`#evidence-${lay} input.attach-file`, evFile);
    await op.waitForFunction(i => document.querySelector(`#evidence-${i} table.record-events tbody tr`), lay);
    eq((await readEvidence(op, lay)).events, list[lay].records.map(fileEvent), 'events once the file is chosen');
    eq(await op.getAttribute(`#alerts-body button.show-evidence[data-index="${lay}"]`, 'aria-expanded'), 'true', 'still open');
    eq(op.__errors, [], 'page errors');
  });

  // ---------------------------------------------------------------- issue 15: thresholds and what-if
  // Run A: the fixture with wash_min_volume raised (two wash alerts go);
  // run B ("Run again"): volume back to the server's value, alternation
  // raised (those two come back, the =HACK alert goes): added and removed.
  const paramsAnswer = await fetch(srv.url + 'api/params');
  const serverParams = paramsAnswer.status === 200 ? (await paramsAnswer.json()).params : null;
  const paramsCheck = (name, fn) => check(name, async () => {
    if (!serverParams) { log('#      (the server has no GET /api/params yet: nothing to check)'); throw new Error('GET /api/params: HTTP ' + paramsAnswer.status); }
    await fn();
  });
  const pval = name => serverParams.find(p => p.name === name).value;

  await paramsCheck('thresholds panel: prefilled from /api/params, labelled, server values shown; an invalid value is refused at its field', async () => {
    eq(serverParams.length, 9, 'nine parameters');
    const { page: tp } = await newPage(browser, srv.url);
    await tp.waitForSelector('#params:not([hidden])');
    await tp.click('#params-summary');
    for (const p of serverParams) {
      const input = tp.locator(`#param-${p.name}`);
      eq(await input.inputValue(), String(p.value), `${p.name}: prefilled`);
      const label = await tp.textContent(`label[for="param-${p.name}"]`);
      assert(label.trim().length > 3, `${p.name}: labelled`);
      eq(await tp.getByLabel(label.trim(), { exact: true }).getAttribute('name'), p.name, `${p.name}: the label names its input`);
      const help = await tp.textContent(`#param-${p.name}-help`);
      assert(help.includes('Server value: ' + p.value) && help.includes(p.env), `${p.name}: server value and variable shown: ` + help);
      assert((await input.getAttribute('aria-describedby')).includes(`param-${p.name}-help`), `${p.name}: described by its help`);
    }
    // client-side checks mirror the type: nothing is sent
    const sent = [];
    tp.on('request', r => { if (r.url().includes('/api/orchestrate')) sent.push(r.url()); });
    const integer = serverParams.find(p => p.type === 'integer'), seconds = serverParams.find(p => p.type === 'seconds');
    await tp.setInputFiles('#file', MAIN_FIXTURE);
    for (const [p, bad] of [[integer, '2.5'], [seconds, '0'], [seconds, 'ten']]) {
      await tp.fill(`#param-${p.name}`, bad);
      await tp.click('#upload-button');
      await tp.waitForFunction(n => !document.getElementById(`param-${n}-error`).hidden, p.name);
      eq(await tp.getAttribute(`#param-${p.name}`, 'aria-invalid'), 'true', `${p.name}=${bad}: aria-invalid`);
      assert(await tp.evaluate(n => document.activeElement.id === 'param-' + n, p.name), `${p.name}=${bad}: focus on the field`);
      await tp.fill(`#param-${p.name}`, String(p.value));
    }
    await tp.waitForTimeout(200);
    eq(sent, [], 'no upload with an invalid threshold');
    eq(await tp.getAttribute('body', 'data-state'), 'idle', 'still idle');
    await tp.fill(`#param-${seconds.name}`, '1.5');
    assert(await tp.evaluate(n => document.querySelector(`.param-field[data-name="${n}"]`).classList.contains('changed'), seconds.name), 'a changed value is marked');
    await (await tp.$('#upload')).screenshot({ path: path.join(ART, 'thresholds.png') });
    await tp.setViewportSize({ width: 375, height: 800 });
    const m = await tp.evaluate(() => ({ doc: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert(m.doc <= m.inner, `375 px with the thresholds open: scrollWidth ${m.doc} > ${m.inner}`);
    eq(tp.__errors, [], 'page errors');
  });

  await paramsCheck('what-if: a changed threshold is sent (run.json params), "Run again" compares: added and removed = the compare endpoint, counts before → after, only changes', async () => {
    const { page: wp } = await newPage(browser, srv.url);
    await wp.waitForSelector('#params:not([hidden])');
    await wp.click('#params-summary');
    await wp.fill('#param-wash_min_volume', '13000');
    const [reqA] = await Promise.all([wp.waitForRequest(r => r.url().includes('/api/orchestrate')), wp.setInputFiles('#file', MAIN_FIXTURE)
      .then(() => wp.click('#upload-button'))]);
    await wp.waitForSelector('body[data-state="done"]');
    const a = await wp.textContent('#run-id');
    const formField = (pg, n) => pg.evaluate(k => (window.__sent instanceof FormData ? window.__sent.get(k) : null), n);
    eq(await formField(wp, 'wash_min_volume'), '13000', 'the upload carries the field');
    assert(/multipart\/form-data/.test(reqA.headers()['content-type']), 'as a multipart form field');
    const runA = await runJson(wp, a);
    eq(runA.params.wash_min_volume, 13000, 'run A: run.json params has the value sent');
    eq(runA.params.wash_min_alternation_pct, pval('wash_min_alternation_pct'), 'run A: unset ones keep the server\'s');
    assert(/Thresholds: .*wash_min_volume 13000/.test(await wp.textContent('#run-params')), 'run A: its thresholds shown');
    await wp.fill('#param-wash_min_volume', String(pval('wash_min_volume')));
    await wp.fill('#param-wash_min_alternation_pct', '70');
    assert(await wp.isEnabled('#rerun-button'), 'Run again enabled');
    const [reqB] = await Promise.all([wp.waitForRequest(r => r.url().includes('/api/orchestrate')), wp.click('#rerun-button')]);
    await wp.waitForFunction(x => document.body.getAttribute('data-state') === 'done' && document.getElementById('run-id').textContent !== x, a);
    const b = await wp.textContent('#run-id');
    eq([await formField(wp, 'wash_min_alternation_pct'), await formField(wp, 'wash_min_volume'),
        await wp.evaluate(() => window.__sent.get('file').name)], ['70', null, 'mixed.csv'],
       'Run again re-sends the file with the changed field (the one back at the server value is not sent)');
    const runB = await runJson(wp, b);
    eq([runB.params.wash_min_alternation_pct, runB.params.wash_min_volume], [70, pval('wash_min_volume')], 'run B: run.json params');
    await wp.waitForSelector('#compare:not([hidden]) #compare-types li');
    const cmp = await wp.evaluate(([x, y]) => fetch(`/api/runs/${x}/compare/${y}`).then(r => r.json()), [a, b]);
    assert(cmp.added.length > 0 && cmp.removed.length > 0, 'the change adds and removes alerts: ' + JSON.stringify(cmp));
    const key = x => [guard(x.account_id), guard(x.product_id), x.detection_type, x.detected_timestamp].join('|');
    const h = ref.header, pick4 = c => [c[h.indexOf('account_id')], c[h.indexOf('product_id')], c[h.indexOf('detection_type')], c[h.indexOf('detected_timestamp')]].join('|');
    const marked = await wp.$$eval('#alerts-body tr[data-change="added"]', trs => trs.map(tr =>
      Array.from(tr.querySelectorAll('td[data-col]')).map(td => [td.getAttribute('data-col'), td.textContent])));
    eq(marked.map(r => pick4(h.map(n => (r.find(c => c[0] === n) || [0, ''])[1]))).sort(), cmp.added.map(key).sort(), 'rows marked added = compare added');
    eq(await wp.$$eval('#alerts-body tr[data-change="added"] .change-tag', t => t.map(x => x.textContent)), cmp.added.map(() => 'Added'), 'added rows say so in words');
    const removed = await wp.$$eval('#removed-body tr', trs => trs.map(tr => Array.from(tr.children).map(td => td.textContent)));
    eq(removed.map(r => r[0] + '|' + r[1] + '|' + r[3]).sort(),
       cmp.removed.map(x => x.account_id + '|' + x.product_id + '|' + x.detected_timestamp).sort(), 'removed list = compare removed');
    assert(await wp.isVisible('#removed-body tr'), 'removed alerts visible');
    const style = await wp.$eval('#removed-body tr td', td => getComputedStyle(td).textDecorationLine);
    eq(style, 'line-through', 'removed rows struck through');
    // counts per type, before -> after: run.json alert counts of the two runs
    const types = await wp.$$eval('#compare-types li', lis => lis.map(li => [li.getAttribute('data-type'), +li.getAttribute('data-before'), +li.getAttribute('data-after'), li.textContent]));
    for (const [t, before, after, text] of types) {
      eq([before, after], [runA.alerts[t] || 0, runB.alerts[t] || 0], `${t}: before -> after`);
      assert(text.includes(`${before} → ${after}`), `${t}: words ` + text);
    }
    assert(types.some(x => x[0] === 'WASH_TRADING'), 'the wash count is listed');
    const compareText = await wp.textContent('#compare-text');
    assert(compareText.includes('wash_min_alternation_pct') && compareText.includes(a), 'names the change and the run: ' + compareText);
    // the evidence of an added wash alert carries run B's threshold
    const addedWash = await wp.$$eval('#alerts-body tr[data-change="added"]', trs => trs
      .filter(tr => tr.querySelector('td[data-col="detection_type"]').textContent === 'WASH_TRADING').map(tr => +tr.getAttribute('data-index')));
    assert(addedWash.length > 0, 'an added wash alert');
    const evB = await openEvidence(wp, addedWash[0]);
    const alt = evB.clauses.find(c => /alternation/.test(c.clause));
    assert(alt && alt.thresholdValue === '70', 'its alternation clause has threshold 70: ' + JSON.stringify(evB.clauses));
    await wp.click(`#alerts-body button.show-evidence[data-index="${addedWash[0]}"]`);
    // only changes
    await wp.check('#only-changes');
    eq((await tableRows(wp)).length, cmp.added.length, 'only changes: the added rows');
    assert((await wp.textContent('#alert-count')).startsWith(`${cmp.added.length} of ${runB.alerts.LAYERING + runB.alerts.WASH_TRADING} alerts`), 'count text');
    await wp.screenshot({ path: path.join(ART, 'what-if.png'), fullPage: true });
    await wp.uncheck('#only-changes');
    eq((await tableRows(wp)).length, runB.alerts.LAYERING + runB.alerts.WASH_TRADING, 'all rows again');
    // the history shows each run's thresholds
    await wp.waitForFunction(y => document.querySelector(`#runs-list li[data-id="${y}"] .run-params`), b);
    const hist = await wp.$$eval('#runs-list li', lis => Object.fromEntries(lis.map(li => [li.getAttribute('data-id'),
      (li.querySelector('.run-params') || { textContent: '' }).textContent])));
    assert(hist[b].includes('wash_min_alternation_pct 70') && !hist[b].includes('wash_min_volume'), 'run B in the history: ' + hist[b]);
    assert(hist[a].includes('wash_min_volume 13000'), 'run A in the history: ' + hist[a]);
    await (await wp.$('#runs')).screenshot({ path: path.join(ART, 'runs-thresholds.png') });
    eq(wp.__errors, [], 'page errors');
  });

  await paramsCheck('a threshold the server refuses: its 400 shown at the field it names', async () => {
    const { page: bp } = await newPage(browser, srv.url);
    await bp.waitForSelector('#params:not([hidden])');
    await bp.click('#params-summary');
    // the page's own check is switched off (test hook) so that the server's words are seen
    await bp.evaluate(() => document.getElementById('params-form').setAttribute('data-no-client-check', ''));
    await bp.fill('#param-wash_window_seconds', '0');
    const [resp] = await Promise.all([bp.waitForResponse(r => r.url().includes('/api/orchestrate')),
      bp.setInputFiles('#file', MAIN_FIXTURE).then(() => bp.click('#upload-button'))]);
    eq(resp.status(), 400, 'server status');
    const reason = (await resp.json()).error;
    assert(/wash_window_seconds/i.test(reason), 'the server names the parameter: ' + reason);
    await bp.waitForFunction(() => !document.getElementById('param-wash_window_seconds-error').hidden);
    const at = await bp.textContent('#param-wash_window_seconds-error');
    assert(at.includes(reason), `shown at the field: "${at}"`);
    eq(await bp.getAttribute('#param-wash_window_seconds', 'aria-invalid'), 'true', 'aria-invalid');
    assert(await bp.evaluate(() => document.activeElement.id === 'param-wash_window_seconds'), 'focus on the field');
    eq(await bp.$$eval('.field-error:not([hidden])', e => e.length), 1, 'only that field');
    assert((await bp.textContent('#error')).includes(reason), 'the error box says it too');
    await (await bp.$('#upload')).screenshot({ path: path.join(ART, 'threshold-400.png') });
    eq(bp.__errors, [], 'page errors');
  });

  // A server with an API key: the page asks for it, then succeeds.
  const key = crypto.randomBytes(12).toString('hex');
  let ksrv = null;
  await check('API_KEY server: page asks for the key (wrong key re-asks), then succeeds', async () => {
    ksrv = await startServer('server with API_KEY', { API_KEY: key });
    const { page: kp } = await newPage(browser, ksrv.url);
    const sent = [];
    kp.on('request', r => { if (r.url().includes('/api/')) sent.push({ url: r.url(), key: r.headers()['x-api-key'] || null }); });
    await uploadFile(kp, MAIN_FIXTURE);
    await kp.waitForSelector('body[data-state="auth"]');
    const input = kp.getByLabel('API key', { exact: true });
    eq(await input.getAttribute('type'), 'password', 'password input');
    assert(await input.evaluate(e => document.activeElement === e), 'key input focused');
    await input.fill(key + 'x');
    await input.press('Enter');
    await kp.waitForFunction(() => document.body.getAttribute('data-state') === 'auth' &&
      /not accepted/.test(document.getElementById('key-why').textContent));
    await kp.getByLabel('API key', { exact: true }).fill(key);
    await kp.click('#key-form button[type="submit"]');
    await kp.waitForSelector('body[data-state="done"]');
    eq((await tableRows(kp)).map(r => r.cells), ref.rows.map(r => r.cells), 'table after key');
    eq(await kp.evaluate(() => sessionStorage.getItem('lda-api-key')), key, 'key in sessionStorage');
    eq(await kp.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    const sus = await clickDownload(kp, '#dl-suspicious');
    assert(sus.bytes.equals(ref.susBytes), 'suspicious_accounts.csv (Blob download with key) differs');
    eq(sus.name, 'suspicious_accounts.csv', 'download name');
    const det = await clickDownload(kp, '#dl-detections');
    assert(det.bytes.equals(ref.detBytes), 'detections.csv (Blob download with key) differs');
    const after = sent.slice(sent.findIndex(s => s.key === key));
    assert(after.length >= 4 && after.every(s => s.key === key), 'every call after entering the key sends it: ' + JSON.stringify(sent));
    assert(sent[0].key === null, 'first call had no key');
    const tl = await showTimeline(kp, pick[0]);
    eq(tl.marks.length, expectedTimeline(ref, events, pick[0]).shown.length, 'timeline with key');
    await kp.waitForFunction(() => document.querySelector('#runs-list li'));   // listed once the key is known
    eq(await kp.getAttribute('#runs-list li', 'data-id'), await kp.textContent('#run-id'), 'run history with the key');
    await kp.waitForSelector('#params:not([hidden])');   // GET /api/params needs the key too
    eq(await kp.$$eval('#params-fields input', i => i.length), 9, 'thresholds once the key is known');
    await kp.screenshot({ path: path.join(ART, 'api-key.png'), fullPage: true });
    eq(kp.__errors, [], 'page errors');
  });
  if (ksrv) ksrv.stop();   // stop it now, before the next server

  // Partial results: the wash detector always fails, partial results allowed.
  await check('partial run: summary names the failed service; only layering rows, as build/lda has them', async () => {
    const psrv = await startServer('server with partial results', {
      ALLOW_PARTIAL_RESULTS: '1', LDA_FAILPOINTS: 'detect-wash:http400:0', MAX_RETRIES: '0' });
    const { page: pp } = await newPage(browser, psrv.url);
    const [resp] = await Promise.all([
      pp.waitForResponse(r => r.url().endsWith('/api/orchestrate')), uploadFile(pp, MAIN_FIXTURE)]);
    await pp.waitForSelector('body[data-state="done"]');
    const body = await resp.json();
    eq([resp.status(), body.partial, body.failed_services], [200, true, ['wash_trading']], 'server answer');
    const sv = await pp.textContent('#sum-services');
    assert(/partial/.test(sv) && /wash-trading detector failed/.test(sv), 'services words: ' + sv);
    if (body.services.wash_trading.error) assert(sv.includes(body.services.wash_trading.error), 'service error shown');
    const lay = ref.rows.filter(r => r.cells[ti] === 'LAYERING');
    eq((await tableRows(pp)).map(r => r.cells), lay.map(r => r.cells), 'rows');
    eq(await pp.textContent('#alert-count'), `${lay.length} of ${lay.length} alerts`, 'count');
    // Expected bytes: build/lda's report without its WASH_TRADING lines.
    const keep = b => Buffer.from(b.toString('utf8').split('\r\n').filter(l => !l.endsWith(',WASH_TRADING') &&
                                                                      !/,WASH_TRADING,[^,]*,[^,]*$/.test(l)).join('\r\n'));
    const sus = await clickDownload(pp, '#dl-suspicious');
    assert(sus.bytes.equals(keep(ref.susBytes)), 'partial suspicious_accounts.csv differs from the layering part of build/lda');
    await pp.screenshot({ path: path.join(ART, 'partial.png') });
    eq(pp.__errors, [], 'page errors');
    psrv.stop();
  });

  // A server with small limits and a failing detector: error words.
  await check('errors in words: 502 names the failed service, 413 the size limit, 429 the wait', async () => {
    const size = fs.statSync(MAIN_FIXTURE).size;
    const small = tmpPath(path.join(os.tmpdir(), `lda-br-small-${process.pid}.csv`));
    const lines = fs.readFileSync(MAIN_FIXTURE, 'utf8').split('\n');
    fs.writeFileSync(small, lines.slice(0, 12).join('\n') + '\n');
    const lsrv = await startServer('server with limits', {
      MAX_UPLOAD_BYTES: String(Math.floor(size / 2)), RATE_LIMIT_PER_MINUTE: '2',
      LDA_FAILPOINTS: 'detect-wash:http400:0', MAX_RETRIES: '0' });
    const { page: ep } = await newPage(browser, lsrv.url);
    let last = null;
    const expectError = async (file, status) => {
      await ep.evaluate(() => { document.getElementById('error').hidden = true; });
      await ep.waitForFunction(() => !document.getElementById('upload-button').disabled || !document.getElementById('file').files.length);
      // A server may answer 413 and close the connection while the body is
      // still being sent; the browser then reports a failed request.
      const outcome = new Promise(resolve => {
        const onResp = r => { if (r.url().endsWith('/api/orchestrate')) { done(); resolve({ status: r.status(), retry: r.headers()['retry-after'] }); } };
        const onFail = r => { if (r.url().endsWith('/api/orchestrate')) { done(); resolve({ status: 0 }); } };
        const done = () => { ep.off('response', onResp); ep.off('requestfailed', onFail); };
        ep.on('response', onResp);
        ep.on('requestfailed', onFail);
      });
      await uploadFile(ep, file);
      last = await outcome;
      await ep.waitForFunction(() => !document.getElementById('error').hidden);
      const text = await ep.textContent('#error');
      if (status === 413 && last.status === 0) {
        assert(/upload limit/.test(text), 'connection closed during a too-large upload: ' + text);
        return 'too large: limit (connection closed)';
      }
      eq(last.status, status, 'server status');
      return text;
    };
    const t502 = await expectError(small, 502);
    assert(/wash-trading detector failed/.test(t502), '502 words: ' + t502);
    const t413 = await expectError(MAIN_FIXTURE, 413);
    assert(/too large/.test(t413) && /limit/.test(t413), '413 words: ' + t413);
    // The limit counts per wall-clock minute on the server, so a minute
    // boundary may reset it: upload until the 429 comes (bounded).
    let t429 = null;
    for (let k = 0; k < 6 && t429 === null; k++) {
      const t = await expectError(small, 429).catch(e => e);
      if (!(t instanceof Error)) t429 = t;
      else if (last.status !== 502) throw t;
    }
    assert(t429 !== null, 'no 429 after 6 uploads with RATE_LIMIT_PER_MINUTE=2');
    const secs = parseInt(last.retry, 10);
    assert(secs >= 0 && t429.includes(`Try again in ${secs} second`), `429 words (${last.retry}): ` + t429);
    assert(await ep.isDisabled('#upload-button'), 'upload held during Retry-After');
    assert(!/[{}]/.test(t502 + t413 + t429), 'no raw JSON');
    await ep.screenshot({ path: path.join(ART, 'error-429.png') });
    eq(ep.__errors, [], 'page errors');
  });
}

let code = 0;
try {
  await main();
} catch (e) {
  failed++;
  log('FAIL - setup: ' + String(e && e.stack || e));
} finally {
  for (const f of cleanups.reverse()) {
    try { await f(); } catch (e) { log('# cleanup: ' + e); }
  }
  removeTmp();
  log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped (LDA_BROWSER_CHECKS)` : ''));
  code = failed ? 1 : 0;
}
process.exit(code);
