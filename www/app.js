/* Upload page of the trade-surveillance pipeline (docs/reports.md,
 * docs/api.md).
 *
 * Flow: the analyst picks or drops a CSV (or a .csv.gz); it is posted with
 * XMLHttpRequest so the upload can show real progress: as multipart/form-data
 * (part "file", also a gzip file, which the server recognises by its magic
 * bytes), or, for a plain CSV over COMPRESS_OVER when CompressionStream
 * exists, gzip-compressed here and sent as a text/csv body with
 * Content-Encoding: gzip (docs/input.md "Compressed input"). The JSON answer
 * goes to loadRun(), which fetches the run's suspicious_accounts.csv,
 * detections.csv and run.json and hands them to renderRun(): summary (run
 * id, when it ran, a warning when most records were rejected) and a
 * sortable, filterable table shown 100 rows a page. Selecting an alert
 * draws an SVG timeline (time across, price up, size by quantity, colour by
 * side) of that account/product's events, read again from the local file
 * (inflated when gzip) with the input rules of docs/input.md. A 401 asks
 * for the API key, which is kept in sessionStorage and sent as X-API-Key on
 * every call. No framework, no build step, no external resource. */
(function () {
  'use strict';

  var KEY_STORE = 'lda-api-key';
  var REQUIRED = ['timestamp', 'account_id', 'product_id', 'side', 'price',
                  'quantity', 'event_type'];
  var US_PER_S = 1000000;
  var US_PER_S_BIG = 1000000n;
  var TYPE_NAMES = { LAYERING: 'Layering', WASH_TRADING: 'Wash trading' };
  var SERVICE_NAMES = { layering: 'layering detector',
                        wash_trading: 'wash-trading detector',
                        aggregate: 'aggregator', aggregator: 'aggregator' };
  var COLUMN_LABELS = {
    account_id: 'Account', product_id: 'Product',
    total_buy_qty: 'Buy qty', total_sell_qty: 'Sell qty',
    num_cancelled_orders: 'Cancelled orders',
    detected_timestamp: 'Detected (UTC)', detection_type: 'Type',
    alternation_percentage: 'Alternation %',
    price_change_percentage: 'Price change %'
  };
  var NUMERIC = { total_buy_qty: 1, total_sell_qty: 1, num_cancelled_orders: 1,
                  alternation_percentage: 1, price_change_percentage: 1 };
  var EVENT_CLASS = { ORDER_PLACED: 'placed', ORDER_CANCELLED: 'cancelled',
                      TRADE_EXECUTED: 'traded' };
  var EVENT_WORDS = { ORDER_PLACED: 'placed', ORDER_CANCELLED: 'cancelled',
                      TRADE_EXECUTED: 'traded' };

  function $(id) { return document.getElementById(id); }

  var state = {
    file: null,          /* File chosen for the next upload */
    runFile: null,       /* File of the run shown (read for the timeline) */
    busy: false,
    pending: null,       /* action to retry once an API key is entered */
    run: null,           /* orchestrate response */
    header: [],          /* suspicious_accounts.csv header */
    rows: [],            /* [{cells:[...], index, det:[...]}] */
    detHeader: [],
    sortCol: -1,
    sortDir: 'ascending',
    selected: -1,
    groupCache: null,    /* {file, promise, map}: events around every alert */
    retryTimer: null,
    page: 0,             /* page of the alerts table */
    sending: null,       /* how the last file was sent (sizes) */
    alerts: null,        /* {id, promise, list, done, error}: alerts.json of the run */
    expanded: new Set(), /* row indexes whose evidence is open */
    runRecord: null,     /* run.json of the run shown */
    compare: null,       /* {prev, added, removed, unchanged, ...} after "Run again" */
    whatIf: null         /* {prevId, prevParams} while a re-run is on its way */
  };

  /* ------------------------------------------------------------------ */
  /* Small helpers                                                       */

  function setState(s) { document.body.setAttribute('data-state', s); }

  function say(text) { $('status').textContent = text; }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function bytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    if (n < 1024 * 1024 * 1024) return (n / 1048576).toFixed(1) + ' MiB';
    return (n / 1073741824).toFixed(2) + ' GiB';
  }

  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  function getKey() {
    try { return sessionStorage.getItem(KEY_STORE) || ''; } catch (e) { return ''; }
  }
  function setKey(k) {
    try {
      if (k) sessionStorage.setItem(KEY_STORE, k);
      else sessionStorage.removeItem(KEY_STORE);
    } catch (e) { /* storage disabled: the key then lives in memory only */ }
    memoryKey = k;
    $('forget-key').hidden = !k;
  }
  var memoryKey = '';
  function apiKey() { return getKey() || memoryKey; }

  /* ------------------------------------------------------------------ */
  /* RFC 4180 reader, incremental (chunks of text).                      */
  /* Mirrors the server's reader (docs/): LF or CRLF ends a record, a  */
  /* lone CR is data, blank lines are skipped and are not records,       */
  /* blanks around a quoted field are allowed, any other stray quote     */
  /* marks the record malformed. onRecord(fields, recordNo, malformed).  */

  var S_START = 0, S_PLAIN = 1, S_QUOTED = 2, S_QQ = 3, S_AFTER = 4;

  function CsvReader(onRecord) {
    this.onRecord = onRecord;
    this.fields = [];
    this.field = '';
    this.st = S_START;
    this.bad = null;
    this.inRecord = false;
    this.cr = false;     /* a CR seen outside quotes, waiting for LF */
    this.recno = 0;
    this.stopped = false;
  }

  CsvReader.prototype.endField = function () {
    this.fields.push(this.field);
    this.field = '';
    this.st = S_START;
  };

  CsvReader.prototype.endRecord = function () {
    if (!this.inRecord) return;            /* blank line */
    this.endField();
    var f = this.fields, bad = this.bad;
    this.fields = [];
    this.bad = null;
    this.inRecord = false;
    if (this.onRecord(f, this.recno, bad) === false) this.stopped = true;
  };

  CsvReader.prototype.begin = function () {
    if (!this.inRecord) { this.inRecord = true; this.recno++; }
  };

  /* Feed one character (outside the CR lookahead). */
  CsvReader.prototype.ch = function (c) {
    switch (this.st) {
    case S_START:
      this.begin();
      if (c === '"') {
        this.field = '';               /* blanks before the quote go */
        this.st = S_QUOTED;
      } else if (c === ',') {
        this.endField();
      } else {
        this.field += c;
        if (c !== ' ' && c !== '\t') this.st = S_PLAIN;
      }
      return;
    case S_PLAIN:
      if (c === ',') { this.endField(); return; }
      if (c === '"' && !this.bad) this.bad = 'malformed quoting: quote inside an unquoted field';
      this.field += c;
      return;
    case S_QUOTED:
      if (c === '"') this.st = S_QQ; else this.field += c;
      return;
    case S_QQ:
      if (c === '"') { this.field += '"'; this.st = S_QUOTED; return; }
      this.st = S_AFTER;
      this.afterQuote(c);
      return;
    case S_AFTER:
      this.afterQuote(c);
      return;
    }
  };

  CsvReader.prototype.afterQuote = function (c) {
    if (c === ',') { this.endField(); return; }
    if ((c === ' ' || c === '\t') && !this.garbage) return;
    if (!this.bad) this.bad = 'malformed quoting: text after a closing quote';
    this.garbage = true;              /* skipped up to the next separator */
  };

  var SPECIAL = /[,"\r\n]/g;
  var NONBLANK = /[^ \t]/;

  CsvReader.prototype.push = function (text) {
    var n = text.length;
    var quoteAt = -1;
    for (var i = 0; i < n && !this.stopped; i++) {
      if (!this.inRecord && !this.cr && this.st === S_START) {
        /* fast path: a whole line without quotes is split natively */
        var nl = text.indexOf('\n', i);
        if (nl >= 0) {
          if (quoteAt < i) {
            quoteAt = text.indexOf('"', i);
            if (quoteAt < 0) quoteAt = n;
          }
          if (quoteAt > nl) {
            var line = text.slice(i, nl > i && text.charAt(nl - 1) === '\r' ? nl - 1 : nl);
            i = nl;
            if (line === '') continue;            /* blank line */
            this.recno++;
            if (this.onRecord(line.split(','), this.recno, null) === false) this.stopped = true;
            continue;
          }
        }
      }
      var c = text.charAt(i);
      if (this.st === S_QUOTED) {
        /* fast path: everything up to the next quote is field text */
        var q = text.indexOf('"', i);
        if (q < 0) { this.field += text.slice(i); return; }
        this.field += text.slice(i, q);
        this.st = S_QQ;
        i = q;
        continue;
      }
      if (!this.cr && (this.st === S_START || this.st === S_PLAIN) &&
          c !== ',' && c !== '"' && c !== '\r' && c !== '\n') {
        /* fast path: a run of ordinary characters */
        SPECIAL.lastIndex = i;
        var m = SPECIAL.exec(text);
        var j = m ? m.index : n;
        var run = text.slice(i, j);
        if (this.st === S_START) {
          this.begin();
          if (NONBLANK.test(run)) this.st = S_PLAIN;
        }
        this.field += run;
        i = j - 1;
        continue;
      }
      if (this.cr) {
        this.cr = false;
        if (c === '\n') { this.garbage = false; this.endRecord(); continue; }
        this.ch('\r');
      }
      if (c === '\r') { this.cr = true; continue; }
      if (c === '\n') { this.garbage = false; this.endRecord(); continue; }
      if (c === ',' ) this.garbage = false;
      this.ch(c);
    }
  };

  CsvReader.prototype.end = function () {
    if (this.stopped) return;
    if (this.cr) { this.cr = false; this.ch('\r'); }
    if (this.st === S_QUOTED) {
      if (!this.bad) this.bad = 'malformed quoting: unterminated quoted field';
      this.begin();
    }
    this.garbage = false;
    this.endRecord();
  };

  function parseCsvText(text) {
    var out = [];
    var r = new CsvReader(function (f, n, bad) { out.push({ fields: f, recno: n, bad: bad }); });
    r.push(text);
    r.end();
    return out;
  }

  /* ------------------------------------------------------------------ */
  /* Input field rules (docs/input.md)                                 */

  function trimBlanks(s) {
    var a = 0, b = s.length;
    while (a < b && (s.charAt(a) === ' ' || s.charAt(a) === '\t')) a++;
    while (b > a && (s.charAt(b - 1) === ' ' || s.charAt(b - 1) === '\t')) b--;
    return s.slice(a, b);
  }

  function daysFromCivil(y, m, d) {
    y -= m <= 2 ? 1 : 0;
    var era = Math.floor(y / 400);
    var yoe = y - era * 400;
    var doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    var doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
  }

  function daysInMonth(y, m) {
    var leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  }

  var TS_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

  /* Timestamp text -> BigInt microseconds since the epoch (UTC), or null. */
  function parseTimestamp(s) {
    var m = TS_RE.exec(s);
    if (!m) return null;
    var y = +m[1], mo = +m[2], d = +m[3], h = +m[4], mi = +m[5];
    var sec = m[6] ? +m[6] : 0;
    var frac = m[7] ? +(m[7] + '00000').slice(0, 6) : 0;
    var off = 0;
    if (m[9]) {
      var zh = +m[10], zm = m[11] ? +m[11] : 0;
      if (zh > 23 || zm > 59) return null;
      off = (m[9] === '-' ? -1 : 1) * (zh * 3600 + zm * 60);
    }
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 ||
        mi > 59 || sec > 59) return null;
    var secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return BigInt(secs) * 1000000n + BigInt(frac);
  }

  function utf8Len(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  var CTRL_RE = /[\u0000-\u001f\u007f]/;
  function validId(s) { return s.length > 0 && utf8Len(s) <= 256 && !CTRL_RE.test(s); }

  var PRICE_RE = /^\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  function validPrice(s) {
    if (!PRICE_RE.test(s)) return false;
    var v = parseFloat(s.charAt(0) === '+' ? s.slice(1) : s);
    return isFinite(v) && v > 0;
  }

  var QTY_RE = /^\+?(\d+)$/;
  function validQty(s) {
    var m = QTY_RE.exec(s);
    if (!m) return false;
    var digits = m[1].replace(/^0+/, '');
    if (digits === '' ) return false;
    if (digits.length > 13) return false;
    return BigInt(digits) <= 1000000000000n;
  }

  /* The report's formula-injection guard (docs/), to match report ids
   * against raw input ids. */
  function guardId(s) {
    return s.length && '=+-@\t\r'.indexOf(s.charAt(0)) >= 0 ? "'" + s : s;
  }

  /* What a file whose header is unusable looks like: the server's words
   * (docs/input.md "What the file looks like", src/core/lda_csv.c sniff()),
   * so the page never contradicts the server. `b` holds the first bytes of
   * the input (inflated when it was gzip); null when nothing is recognised. */
  var LOOKS = [
    [[0x1f, 0x8b], 'this looks like a gzip file, not CSV text: decompress it first'],
    [[0x50, 0x4b, 0x03, 0x04], 'this looks like a zip archive (an .xlsx workbook is one), not CSV text: export or extract the CSV first'],
    [[0x42, 0x5a, 0x68], 'this looks like a bzip2 file, not CSV text: decompress it first (only gzip is decompressed)'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'this looks like an xz file, not CSV text: decompress it first (only gzip is decompressed)'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'this looks like a zstd file, not CSV text: decompress it first (only gzip is decompressed)']
  ];

  function startsWith(b, sig) {
    if (b.length < sig.length) return false;
    for (var i = 0; i < sig.length; i++) if (b[i] !== sig[i]) return false;
    return true;
  }

  function isGzip(b) { return startsWith(b, [0x1f, 0x8b, 0x08]); }

  /* Required names in a line split at sep (blanks, CR, quotes ignored). */
  function namesSplitBy(line, sep) {
    var found = 0;
    line.split(sep).forEach(function (piece) {
      var t = piece.replace(/^[ \t\r"]+|[ \t\r"]+$/g, '').toLowerCase();
      REQUIRED.forEach(function (k) { if (k === t) found++; });
    });
    return found;
  }

  function sniffSeparator(line) {
    var seps = [';', '\t', '|'];
    var words = ["fields seem separated by ';', not ','", "fields seem separated by tabs, not ','",
                 "fields seem separated by '|', not ','"];
    var commas = line.indexOf(',') >= 0;
    var commaNames = namesSplitBy(line, ','), best = -1, bestNames = 0, counts = [];
    for (var k = 0; k < 3; k++) {
      counts[k] = line.split(seps[k]).length - 1;
      var m = counts[k] ? namesSplitBy(line, seps[k]) : 0;
      if (counts[k] && (best < 0 || m > bestNames || (m === bestNames && counts[k] > counts[best]))) {
        best = k;
        bestNames = m;
      }
    }
    if (best < 0) return null;
    if (bestNames > commaNames || (!commas && counts[best] >= 2))
      return words[best] + ': save the file as comma-separated CSV';
    return null;
  }

  function describeLook(b) {
    for (var k = 0; k < LOOKS.length; k++) if (startsWith(b, LOOKS[k][0])) return LOOKS[k][1];
    if (startsWith(b, [0xff, 0xfe, 0, 0]) || startsWith(b, [0, 0, 0xfe, 0xff]))
      return 'the file is UTF-32, not UTF-8: save it as UTF-8';
    if (startsWith(b, [0xff, 0xfe]) || startsWith(b, [0xfe, 0xff]))
      return 'the file is UTF-16, not UTF-8: save it as UTF-8';
    var skip = startsWith(b, [0xef, 0xbb, 0xbf]) ? 3 : 0;
    var n = Math.min(b.length - skip, 65536), nul = 0, i;
    for (i = 0; i < n; i++) if (b[skip + i] === 0x0a) { n = i; break; }
    for (i = 0; i < n; i++) if (b[skip + i] === 0) nul++;
    if (nul > 0 && nul * 4 >= n)
      return 'the file seems to be UTF-16 (its first line is full of NUL bytes), not UTF-8: save it as UTF-8';
    var line = new TextDecoder('latin1').decode(b.subarray(skip, skip + n));
    return sniffSeparator(line);
  }

  /* ------------------------------------------------------------------ */
  /* HTTP                                                                */

  function authHeaders() {
    var k = apiKey();
    return k ? { 'X-API-Key': k } : {};
  }

  function parseJson(text) {
    try {
      var v = JSON.parse(text);
      return v && typeof v === 'object' ? v : null;
    } catch (e) { return null; }
  }

  /* Server words for a failed answer; never raw JSON or HTML. */
  function serverReason(body) {
    if (body && typeof body.error === 'string' && body.error) return body.error;
    return '';
  }

  function serviceName(s) { return SERVICE_NAMES[s] || String(s); }

  function describeServices(body) {
    var lines = [];
    var failed = (body && Array.isArray(body.failed_services)) ? body.failed_services : [];
    var services = (body && body.services && typeof body.services === 'object') ? body.services : {};
    failed.forEach(function (s) {
      var info = services[s] || {};
      var words = 'The ' + serviceName(s) + ' failed';
      if (info.error) words += ': ' + info.error;
      else if (typeof info.retry_count === 'number' && info.retry_count > 0)
        words += ' after ' + plural(info.retry_count, 'retry', 'retries');
      lines.push(words + '.');
    });
    Object.keys(services).forEach(function (s) {
      if (failed.indexOf(s) >= 0) return;
      var info = services[s] || {};
      if (info.status && info.status !== 'success') {
        lines.push('The ' + serviceName(s) + ' ended with status "' + info.status + '"' +
                   (info.error ? ': ' + info.error : '') + '.');
      }
    });
    return lines;
  }

  /* Whether the server's overall error only repeats a service's error. */
  function mentioned(reason, body) {
    var services = (body && body.services) || {};
    return Object.keys(services).some(function (s) {
      var e = services[s] && services[s].error;
      return e && reason.indexOf(e) >= 0;
    });
  }

  function showError(title, text, list) {
    var box = $('error');
    $('error-title').textContent = title;
    $('error-text').textContent = text || '';
    var ul = $('error-list');
    clear(ul);
    (list || []).forEach(function (t) { ul.appendChild(el('li', null, t)); });
    box.hidden = false;
    setState('error');
    say('');                  /* the alert box itself is announced */
    $('error-title').focus();
  }

  function hideError() { $('error').hidden = true; }

  /* Turn a non-2xx answer into words. */
  function explainFailure(status, text, retryAfter, what) {
    var body = parseJson(text);
    var reason = serverReason(body);
    var svc = describeServices(body);
    switch (status) {
    case 0:
      showError('The server could not be reached.',
        'The connection was closed before an answer arrived while ' + what +
        '. If the file is very large it may exceed the server\'s upload limit; otherwise check that the server is running and try again.');
      return;
    case 400:
      showError('The server could not use this file.',
        reason ? 'Reason: ' + reason : 'The input was rejected (HTTP 400).');
      return;
    case 403:
      showError('Access denied.', reason || 'The server refused this request (HTTP 403).');
      return;
    case 404:
      showError('Not found.', (reason ? reason + '. ' : '') + 'The run or file does not exist on the server (HTTP 404).');
      return;
    case 413:
      var size = state.file ? ' Your file is ' + bytes(state.file.size) +
        (state.sending && state.sending.how === 'compressed' ? ' (' + bytes(state.sending.sent) +
          ' once compressed; the limit counts the decompressed size)' : '') + '.' : '';
      showError('The file is too large for this server.',
        'The server\'s size limit (upload bytes or number of events) was exceeded.' + size +
        (reason ? ' Server says: ' + reason + '.' : '') + ' Split the file and upload the parts separately.');
      return;
    case 415:
      showError('The server did not accept this kind of upload.',
        'It expects a CSV file sent as a form upload (HTTP 415).' + (reason ? ' Server says: ' + reason + '.' : ''));
      return;
    case 429:
      var secs = parseInt(retryAfter, 10);
      if (!(secs >= 0)) secs = 60;
      showError('Too many uploads right now.',
        'The server limits how often files can be analysed. Try again in ' + plural(secs, 'second', 'seconds') + '.');
      holdUpload(secs);
      return;
    case 502:
    case 503:
    case 504:
      var lead = status === 502 ? 'The analysis could not be completed.' :
                 'The server is not available right now (HTTP ' + status + ').';
      var items = svc.slice();
      if (reason && !mentioned(reason, body)) items.push('Server says: ' + reason);
      if (!items.length) items.push('No service detail was given; try again in a moment.');
      showError(lead, 'No report was produced.', items);
      return;
    default:
      showError('The request failed (HTTP ' + status + ').',
        reason ? 'Server says: ' + reason : 'The server gave no reason. Try again later.', svc);
    }
  }

  /* Disable the upload button for secs seconds (429 Retry-After). */
  function holdUpload(secs) {
    var btn = $('upload-button');
    if (state.retryTimer) clearInterval(state.retryTimer);
    var left = secs;
    btn.disabled = true;
    btn.textContent = 'Wait ' + left + ' s';
    $('rerun-button').disabled = true;
    state.retryTimer = setInterval(function () {
      left--;
      if (left <= 0) {
        clearInterval(state.retryTimer);
        state.retryTimer = null;
        btn.textContent = 'Upload and analyse';
        btn.disabled = !state.file || state.busy;
        updateRerun();
        say('You can upload again now.');
      } else {
        btn.textContent = 'Wait ' + left + ' s';
      }
    }, 1000);
  }

  /* Ask for the API key; `retry` runs once a key is entered. */
  function askForKey(retry, rejected) {
    state.pending = retry;
    setState('auth');
    var form = $('key-form');
    $('key-why').textContent = rejected ?
      'The API key was not accepted. Check it and enter it again. It is kept only in this browser tab (session storage).' :
      'This server asks for an API key. It is kept only in this browser tab (session storage) and sent with each request.';
    form.hidden = false;
    say(rejected ? 'The API key was not accepted. Enter it again.' : 'An API key is needed. Enter it to continue.');
    var input = $('api-key');
    input.value = '';
    input.focus();
  }

  /* fetch() with the key; resolves {status, text, headers} or rejects on
   * a network failure. 401 asks for the key and retries. */
  function apiGet(url, asBlob) {
    return fetch(url, { headers: authHeaders(), credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          var had = !!apiKey();
          return new Promise(function (resolve, reject) {
            askForKey(function () { apiGet(url, asBlob).then(resolve, reject); }, had);
          });
        }
        var p = asBlob ? res.blob() : res.text();
        return p.then(function (body) {
          return { status: res.status, body: body, retryAfter: res.headers.get('Retry-After') };
        });
      });
  }

  /* ------------------------------------------------------------------ */
  /* Upload                                                              */

  /* Plain CSV files larger than this are gzip-compressed in the browser
   * before they are sent (when CompressionStream exists and the box is
   * ticked); the server inflates them (docs/input.md "Compressed input"). */
  var COMPRESS_OVER = 4 * 1024 * 1024;
  function canCompress() { return typeof CompressionStream === 'function'; }
  function looksGzipName(f) { return /\.gz$/i.test(f.name || ''); }   /* until the bytes are read */

  function chooseFile(f) {
    state.file = f || null;
    var p = $('file-chosen');
    if (f) {
      var words = function (gz) {
        var how = '';
        if (gz) how = '; gzip-compressed, sent as it is';
        else if (f.size > COMPRESS_OVER && canCompress() && $('compress').checked)
          how = '; will be gzip-compressed before sending';
        return 'Selected: ' + f.name + ' (' + bytes(f.size) + how + ')';
      };
      p.textContent = words(looksGzipName(f));
      /* gzip is told by the magic bytes, as the server does, not the name */
      readHead(f, 3).then(function (b) { if (state.file === f) p.textContent = words(isGzip(b)); },
                          function () { /* unreadable: the upload says so */ });
      p.hidden = false;
      say('File selected: ' + f.name + '. Press "Upload and analyse" to start.');
    } else {
      p.hidden = true;
    }
    $('upload-button').disabled = !f || state.busy || !!state.retryTimer;
    updateRerun();
  }

  function setBusy(b) {
    state.busy = b;
    $('upload-button').disabled = b || !state.file || !!state.retryTimer;
    $('file').disabled = b;
    $('upload').setAttribute('aria-busy', b ? 'true' : 'false');
    updateRerun();
  }

  function resetResults() {
    $('summary').hidden = true;
    $('alerts').hidden = true;
    $('timeline').hidden = true;
    state.run = null;
    state.runRecord = null;
    state.rows = [];
    state.selected = -1;
    updateRerun();
  }

  function showProgress(loaded, total) {
    var prog = $('progress');
    prog.max = total > 0 ? total : 1;
    prog.value = Math.min(loaded, prog.max);
    var pct = total > 0 ? Math.floor(100 * loaded / total) : 0;
    $('progress-text').textContent = 'Uploading: ' + bytes(loaded) + ' of ' +
      bytes(total) + ' (' + pct + ' %)' + sentNote();
  }

  /* ", gzip of 8.7 MiB of CSV" while a compressed body is on its way. */
  function sentNote() {
    var s = state.sending;
    if (!s) return '';
    if (s.how === 'compressed') return ', gzip of ' + bytes(s.original) + ' of CSV';
    if (s.how === 'gzip-file') return ', a gzip file' + (s.original ? ' of about ' + bytes(s.original) + ' of CSV' : '');
    return '';
  }

  /* What was sent, for the summary: both sizes when compressed. */
  function sentWords(s) {
    if (!s) return '';
    if (s.how === 'compressed')
      return 'Sent ' + bytes(s.sent) + ': ' + s.name + ' (' + bytes(s.original) + ') gzip-compressed in this browser, ' +
        Math.max(1, Math.round(100 * s.sent / s.original)) + ' % of its size, in ' + s.ms + ' ms.';
    if (s.how === 'gzip-file')
      return 'Sent ' + s.name + ' as it is: ' + bytes(s.sent) + ' of gzip' +
        (s.original ? ', about ' + bytes(s.original) + ' of CSV once decompressed' : '') + '.';
    return 'Sent ' + s.name + ' (' + bytes(s.sent) + ').';
  }

  /* Uncompressed size from a gzip trailer (ISIZE, mod 2^32; exact for one
   * member under 4 GiB), or 0. */
  function gzipSize(f) {
    if (f.size < 18) return Promise.resolve(0);
    return f.slice(f.size - 4).arrayBuffer().then(function (a) {
      return new DataView(a).getUint32(0, true);
    }, function () { return 0; });
  }

  /* Read the file through CompressionStream, counting bytes read for the
   * progress line; resolves a Blob of gzip. */
  function compress(f) {
    var read = 0;
    var count = new TransformStream({ transform: function (chunk, ctl) {
      read += chunk.length;
      $('progress').value = Math.min(read, $('progress').max);
      $('progress-text').textContent = 'Compressing before sending: ' + bytes(read) + ' of ' + bytes(f.size) +
        ' (' + Math.floor(100 * read / (f.size || 1)) + ' %)';
      ctl.enqueue(chunk);
    } });
    var gz = f.stream().pipeThrough(count).pipeThrough(new CompressionStream('gzip'));
    return new Response(gz).blob();
  }

  /* Decide how to send the file: as it is (multipart, also a .csv.gz the
   * server recognises by its magic bytes) or compressed here first (a
   * text/csv body with Content-Encoding: gzip). */
  function prepareBody(f) {
    return readHead(f, 3).then(function (head) {
      if (isGzip(head)) {
        return gzipSize(f).then(function (n) {
          return { how: 'gzip-file', name: f.name, original: n, sent: f.size };
        });
      }
      if (f.size > COMPRESS_OVER && canCompress() && $('compress').checked) {
        var t0 = performance.now();
        $('progress-label').textContent = 'Compression of ' + f.name;
        $('progress').max = f.size;
        $('progress').value = 0;
        say('Compressing ' + f.name + ' (' + bytes(f.size) + ') before sending…');
        return compress(f).then(function (blob) {
          return { how: 'compressed', name: f.name, original: f.size, sent: blob.size, blob: blob,
                   ms: Math.round(performance.now() - t0) };
        });
      }
      return { how: 'plain', name: f.name, original: f.size, sent: f.size };
    });
  }

  function upload(again) {
    var f = again ? (state.runFile || state.file) : state.file;
    if (!f || state.busy) return;
    var sendParams = changedParams();
    if (sendParams === null) return;        /* a threshold is invalid: shown at its field */
    state.whatIf = again && state.run ? { prevId: state.run.request_id,
                                          prevParams: state.runRecord && state.runRecord.params } : null;
    hideError();
    $('key-form').hidden = true;
    resetResults();
    state.runFile = f;
    state.groupCache = null;
    state.sending = null;
    setBusy(true);
    setState('uploading');
    $('progress-panel').hidden = false;
    $('progress-label').textContent = 'Upload of ' + f.name;
    showProgress(0, f.size);
    say('Uploading ' + f.name + '…');
    prepareBody(f).then(function (how) { how.params = sendParams; how.again = !!again; send(f, how); }, function (err) {
      setBusy(false);
      $('progress-panel').hidden = true;
      showError('The file could not be read.', 'This browser could not read ' + f.name +
        (err && err.message ? ': ' + err.message : '') + '. Choose it again and retry.');
    });
  }

  function send(f, how) {
    state.sending = how;
    var body;
    var xhr = new XMLHttpRequest();
    var params = how.params || [];
    /* thresholds: query parameters of a gzip body, form fields (before
     * the file part) of a multipart one */
    var query = how.how === 'compressed' && params.length ? '?' + params.map(function (x) {
      return encodeURIComponent(x.name) + '=' + encodeURIComponent(x.value);
    }).join('&') : '';
    xhr.open('POST', '/api/orchestrate' + query);
    if (how.how === 'compressed') {
      $('progress-label').textContent = 'Upload of ' + f.name + ' (gzip)';
      xhr.setRequestHeader('Content-Type', 'text/csv');
      xhr.setRequestHeader('Content-Encoding', 'gzip');
      body = how.blob;
    } else {
      body = new FormData();
      params.forEach(function (x) { body.append(x.name, x.value); });
      body.append('file', f, f.name);
    }
    var k = apiKey();
    if (k) xhr.setRequestHeader('X-API-Key', k);
    xhr.setRequestHeader('Accept', 'application/json');
    var total = how.sent;
    showProgress(0, total);
    say('Uploading ' + f.name + (how.how === 'compressed' ? ' (' + bytes(how.sent) + ' after compression)' : '') + '…');
    var processing = function () {
      if (document.body.getAttribute('data-state') !== 'uploading') return;
      showProgress(total, total);
      $('progress-text').textContent = 'Uploaded ' + bytes(total) + sentNote() + '. Processing on the server…';
      setState('processing');
      say('Upload complete. The server is analysing the events…');
    };
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { total = e.total; showProgress(e.loaded, e.total); }
    };
    xhr.upload.onload = processing;
    xhr.onload = function () {
      processing();
      setBusy(false);
      var status = xhr.status;
      if (status === 401) {
        $('progress-panel').hidden = true;
        askForKey(function () { upload(how.again); }, !!k);
        return;
      }
      refreshRuns(false);
      if (status < 200 || status >= 300) {
        $('progress-panel').hidden = true;
        state.whatIf = null;
        explainFailure(status, xhr.responseText, xhr.getResponseHeader('Retry-After'), 'uploading');
        if (status === 400) paramRefused(serverReason(parseJson(xhr.responseText)));
        return;
      }
      var answer = parseJson(xhr.responseText);
      if (!answer || !answer.outputs || !answer.outputs.suspicious_accounts) {
        $('progress-panel').hidden = true;
        if (answer && (answer.status === 'failed' || answer.error))
          showError('The analysis could not be completed.', serverReason(answer) || 'No report was produced.',
                    describeServices(answer));
        else
          showError('The server gave an answer this page does not understand.',
            'No result could be shown (HTTP ' + status + ').');
        return;
      }
      var whatIf = state.whatIf;
      state.whatIf = null;
      loadRun(answer, { file: f, sent: how, answeredAt: new Date(), compareWith: whatIf });
    };
    xhr.onerror = function () {
      setBusy(false);
      $('progress-panel').hidden = true;
      state.whatIf = null;
      explainFailure(0, '', null, 'uploading ' + f.name);
    };
    xhr.ontimeout = xhr.onerror;
    xhr.send(body);
  }

  /* ------------------------------------------------------------------ */
  /* Result                                                              */

  /* Fetch a run's reports (and its run.json, for when it ran) and show
   * them. `answer` has the shape of the POST /api/orchestrate answer
   * (request_id, outputs, event_count, rejected_count, rejected, services);
   * this is the seam the "Recent runs" panel (openRun, GET /api/runs)
   * calls with an answer built from a listed run's run.json. `ctx`: {file, sent, answeredAt}, all
   * optional: `file` is the local input the timeline reads (none for a
   * reopened run: the timeline then asks for the file again). */
  function loadRun(answer, ctx) {
    ctx = ctx || {};
    state.run = answer;
    if (state.runFile !== (ctx.file || null)) {
      state.runFile = ctx.file || null;
      state.groupCache = null;
    }
    say(ctx.file || ctx.sent ? 'Analysis finished. Loading the alerts…' : 'Loading the alerts of run ' + answer.request_id + '…');
    var runJson = answer.request_id ?
      apiGet(runUrl('run.json')).then(function (r) { return r.status === 200 ? parseJson(r.body) : null; },
                                      function () { return null; }) : Promise.resolve(null);
    Promise.all([apiGet(answer.outputs.suspicious_accounts),
                 answer.outputs.detections ? apiGet(answer.outputs.detections) : Promise.resolve(null),
                 runJson])
      .then(function (res) {
        var sus = res[0], det = res[1];
        if (sus.status !== 200) {
          explainFailure(sus.status, sus.body, sus.retryAfter, 'loading the alerts');
          return;
        }
        renderRun(answer, { suspicious: sus.body, detections: det && det.status === 200 ? det.body : null,
                            run: res[2], sent: ctx.sent, answeredAt: ctx.answeredAt });
        if (ctx.compareWith) loadCompare(ctx.compareWith, answer.request_id, res[2]);
      }, function () {
        explainFailure(0, '', null, 'loading the alerts');
      });
  }

  /* Show a run from its answer and its reports' text (synchronous). */
  function renderRun(answer, reports) {
    performance.mark('lda-render-start');
    state.run = answer;
    state.runRecord = reports.run || null;
    state.compare = null;
    loadReports(reports.suspicious, reports.detections);
    showSummary(reports);
    $('progress-panel').hidden = true;
    setState('done');
    var n = state.rows.length;
    say('Done: ' + plural(n, 'alert', 'alerts') + ' found in ' +
        plural(answer.event_count || 0, 'event', 'events') + '.' +
        (mostlyRejected(answer) ? ' Warning: most records were rejected.' : ''));
    updateRerun();
    $('summary-title').focus();
    performance.mark('lda-render-end');
    try { performance.measure('lda-render', 'lda-render-start', 'lda-render-end'); } catch (e) { /* old browsers */ }
  }

  /* More than half of the data records were rejected. */
  function mostlyRejected(r) {
    var rej = r.rejected_count || 0, ok = r.event_count || 0;
    return rej > 0 && rej > ok;
  }

  function pct(a, b) {
    var p = 100 * a / (b || 1);
    return (p >= 99.5 && a < b ? '>99' : p < 1 && a > 0 ? '<1' : String(Math.round(p))) + ' %';
  }

  /* "Run <id>, started <local> (<UTC>), took N s" from run.json, else the
   * time the answer arrived. */
  function showRunMeta(answer, reports) {
    var id = answer.request_id || '';
    $('run-id').textContent = id || '(no id)';
    var run = reports && reports.run;
    var started = run && typeof run.started === 'string' ? run.started : null;
    var when = started ? new Date(started) : (reports && reports.answeredAt) || null;
    var t = $('run-time');
    if (when && !isNaN(when.getTime())) {
      t.setAttribute('datetime', started || when.toISOString());
      t.textContent = when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) +
        ' (' + when.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') + ' UTC)';
    } else {
      t.removeAttribute('datetime');
      t.textContent = 'at an unknown time';
    }
    var took = '';
    if (run && started && typeof run.finished === 'string') {
      var ms = new Date(run.finished) - new Date(started);
      if (ms >= 0) took = ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s';
    }
    $('run-took').textContent = took ? ', took ' + took + ' on the server' : '';
    var sent = $('run-sent');
    sent.textContent = sentWords(reports && reports.sent);
    sent.hidden = !sent.textContent;
    var rp = $('run-params');
    var pw = run && run.params && typeof run.params === 'object' ? paramsWords(run.params) : '';
    rp.textContent = pw ? 'Thresholds: ' + pw + '.' : '';
    rp.hidden = !pw;
  }

  function runUrl(name) {
    var id = state.run.request_id;
    if (name === 'suspicious_accounts.csv' && state.run.outputs.suspicious_accounts)
      return state.run.outputs.suspicious_accounts;
    if (name === 'detections.csv' && state.run.outputs.detections)
      return state.run.outputs.detections;
    return '/api/runs/' + encodeURIComponent(id) + '/' + name;
  }

  function showSummary(reports) {
    var r = state.run;
    showRunMeta(r, reports);
    showDataQuality(reports && reports.run);
    markCurrentRun();
    $('sum-events').textContent = String(r.event_count != null ? r.event_count : '?');
    var rejCount = r.rejected_count || 0;
    $('sum-rejected').textContent = String(rejCount);
    $('sum-alerts').textContent = String(state.rows.length);

    var types = $('sum-types');
    clear(types);
    var counts = countByType();
    Object.keys(counts).sort().forEach(function (t) {
      types.appendChild(el('li', { 'data-type': t },
        (TYPE_NAMES[t] || t) + ': ' + plural(counts[t], 'alert', 'alerts')));
    });
    if (!state.rows.length) types.appendChild(el('li', null, 'No suspicious sequence was found.'));

    var sv = $('sum-services');
    clear(sv);
    var lines = describeServices(r);
    if (r.partial) {
      lines.unshift('These results are partial: alerts from the failed service are missing.');
    }
    if (r.status && r.status !== 'completed') lines.unshift('Run status: ' + r.status + '.');
    if (r.error && !mentioned(r.error, r)) lines.push('Server says: ' + r.error);
    var services = r.services || {};
    var retried = Object.keys(services).filter(function (s) {
      var i = services[s] || {};
      return i.status === 'success' && i.retry_count > 0;
    }).map(function (s) {
      return 'The ' + serviceName(s) + ' succeeded after ' + plural(services[s].retry_count, 'retry', 'retries') + '.';
    });
    var mostly = mostlyRejected(r);
    var qw = $('quality-warn');
    qw.hidden = !mostly;
    if (mostly) {
      var records = rejCount + (r.event_count || 0);
      $('quality-text').textContent = rejCount + ' of ' + records + ' data records (' + pct(rejCount, records) +
        ') could not be read and were left out; the alerts below come from the other ' +
        plural(r.event_count || 0, 'record', 'records') + ' only. The reasons are listed below: check the file\'s columns and formats, then upload it again.';
    }
    if (!lines.length && mostly) {
      sv.className = 'services warn';
      sv.appendChild(el('p', null, 'The detectors and the aggregator completed, on ' +
        plural(r.event_count || 0, 'readable record', 'readable records') + ' only.'));
    } else if (!lines.length) {
      sv.className = 'services ok';
      sv.appendChild(el('p', null, 'Both detectors and the aggregator completed.'));
    } else {
      sv.className = 'services warn';
      lines.forEach(function (t) { sv.appendChild(el('p', null, t)); });
    }
    retried.forEach(function (t) { sv.appendChild(el('p', { 'class': 'help' }, t)); });

    var det = $('rejected-details');
    var list = $('rejected-list');
    clear(list);
    var rej = Array.isArray(r.rejected) ? r.rejected : [];
    det.hidden = rejCount === 0;
    det.open = mostly;
    $('rejected-summary').textContent = 'Rejected records (' + rejCount + ')';
    $('rejected-note').textContent = rej.length < rejCount ?
      'The first ' + rej.length + ' of ' + rejCount + ' are listed. The header is record 1.' :
      'These records were skipped; the run used the others. The header is record 1.';
    rej.forEach(function (x) {
      var li = el('li', { 'data-row': String(x.row) });
      li.appendChild(el('span', { 'class': 'recno' }, 'Record ' + x.row + ': '));
      li.appendChild(document.createTextNode(String(x.reason)));
      list.appendChild(li);
    });

    $('dl-suspicious').href = runUrl('suspicious_accounts.csv');
    $('dl-detections').href = runUrl('detections.csv');
    $('dl-run').href = runUrl('run.json');
    $('summary').hidden = false;
  }

  function countByType() {
    var ti = state.header.indexOf('detection_type');
    var counts = {};
    state.rows.forEach(function (r) {
      var t = ti >= 0 ? r.cells[ti] : '?';
      counts[t] = (counts[t] || 0) + 1;
    });
    return counts;
  }

  /* Downloads: plain links; with an API key the header is needed, so the
   * file is fetched and saved from a Blob. */
  function download(ev) {
    var a = ev.currentTarget;
    if (!apiKey()) return;          /* the plain link works */
    ev.preventDefault();
    var name = a.getAttribute('download') || 'download';
    say('Downloading ' + name + '…');
    apiGet(a.href, true).then(function (res) {
      if (res.status !== 200) {
        res.body.text().then(function (t) {
          explainFailure(res.status, t, res.retryAfter, 'downloading ' + name);
        });
        return;
      }
      var url = URL.createObjectURL(res.body);
      var tmp = el('a', { href: url, download: name, hidden: '' });
      document.body.appendChild(tmp);
      tmp.click();
      document.body.removeChild(tmp);
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      say('Downloaded ' + name + '.');
    }, function () {
      explainFailure(0, '', null, 'downloading ' + name);
    });
  }

  /* ------------------------------------------------------------------ */
  /* Data quality (run.json data_quality, docs/reports.md#data-quality)  */

  var DQ_TYPES = [['ORDER_PLACED', 'Orders placed'], ['ORDER_CANCELLED', 'Orders cancelled'],
                  ['TRADE_EXECUTED', 'Trades executed']];

  function showDataQuality(run) {
    var box = $('dq'), list = $('dq-list');
    clear(list);
    var q = run && run.data_quality;
    if (!q || typeof q !== 'object') { box.hidden = true; return; }
    var flagged = [];
    var add = function (key, label, value, flag) {
      var d = el('div', { 'data-key': key });
      var dt = el('dt', null, label);
      d.appendChild(dt);
      d.appendChild(el('dd', null, value === null || value === undefined ? 'none' : String(value)));
      if (flag) {
        d.className = 'flag';
        d.setAttribute('data-flag', 'true');
        dt.appendChild(el('span', { 'class': 'flag-word' }, ' (not zero)'));
        flagged.push(label.toLowerCase());
      }
      list.appendChild(d);
    };
    var types = q.event_types && typeof q.event_types === 'object' ? q.event_types : {};
    var seen = {};
    DQ_TYPES.forEach(function (t) {
      seen[t[0]] = 1;
      if (t[0] in types) add('event_types.' + t[0], t[1], types[t[0]], false);
    });
    Object.keys(types).sort().forEach(function (t) {
      if (!seen[t]) add('event_types.' + t, t, types[t], false);
    });
    add('accounts', 'Accounts', q.accounts, false);
    add('products', 'Products', q.products, false);
    add('duplicates', 'Duplicates', q.duplicates, typeof q.duplicates === 'number' && q.duplicates > 0);
    add('out_of_order', 'Out of order', q.out_of_order, typeof q.out_of_order === 'number' && q.out_of_order > 0);
    add('first_timestamp', 'First timestamp', q.first_timestamp, false);
    add('last_timestamp', 'Last timestamp', q.last_timestamp, false);
    var note = $('dq-note');
    note.hidden = !flagged.length;
    note.textContent = flagged.length ?
      'Check the input: ' + flagged.join(' and ') + ' found. Duplicates are events equal to an earlier one in all seven fields; ' +
      'an event out of order has a timestamp earlier than the previous event\'s. All were analysed as given.' : '';
    box.hidden = false;
  }

  /* ------------------------------------------------------------------ */
  /* Recent runs (GET /api/runs, docs/api.md "Run history")              */

  var RUNS_PAGE = 20;
  var runs = { list: [], seq: 0 };

  /* Plain GET with the key; a 401 here never asks for the key (the
   * upload does), the list just says why it is empty. */
  function quietGet(url) {
    return fetch(url, { headers: authHeaders(), credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        return res.text().then(function (t) { return { status: res.status, body: t }; });
      });
  }

  function refreshRuns(append) {
    var seq = ++runs.seq;
    var size = +$('runs').getAttribute('data-limit') || RUNS_PAGE;   /* smaller in the browser test */
    var url = '/api/runs?limit=' + size;
    var last = runs.list.length ? runs.list[runs.list.length - 1].request_id : null;
    if (append && last) url += '&before=' + encodeURIComponent(last);
    var sec = $('runs');
    sec.setAttribute('aria-busy', 'true');
    $('runs-more').disabled = true;
    quietGet(url).then(function (r) {
      if (seq !== runs.seq) return;
      sec.setAttribute('aria-busy', 'false');
      $('runs-more').disabled = false;
      var st = $('runs-status');
      if (r.status === 401) {
        runs.list = [];
        drawRuns(false);
        st.textContent = apiKey() ? 'The API key was not accepted: the run history cannot be shown.' :
          'This server asks for an API key; the run history appears once it is entered (at the first upload).';
        return;
      }
      var j = parseJson(r.body);
      if (r.status !== 200 || !j || !Array.isArray(j.runs)) {
        st.textContent = 'The run history could not be loaded' +
          (serverReason(j) ? ': ' + serverReason(j) : ' (HTTP ' + r.status + ')') + '.';
        return;
      }
      var got = j.runs.filter(function (x) { return x && typeof x.request_id === 'string'; });
      runs.list = append ? runs.list.concat(got) : got;
      drawRuns(j.runs.length >= size);
      if (append) {
        st.textContent = plural(runs.list.length, 'run', 'runs') + ' shown' +
          (got.length ? '' : '; there are no older runs') + '.';
        var li = $('runs-list').children[runs.list.length - got.length];
        var b = li && li.querySelector('button');
        if (b) b.focus();
      }
    }, function () {
      if (seq !== runs.seq) return;
      sec.setAttribute('aria-busy', 'false');
      $('runs-more').disabled = false;
      $('runs-status').textContent = 'The run history could not be loaded: the server could not be reached.';
    });
  }

  function timeWords(iso) {
    var d = typeof iso === 'string' ? new Date(iso) : null;
    if (!d || isNaN(d.getTime())) return null;
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) +
      ' (' + d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') + ' UTC)';
  }

  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }

  function runCounts(x) {
    var parts = [];
    var ev = num(x.event_count), rej = num(x.rejected_count);
    parts.push(ev === null ? 'events unknown' : plural(ev, 'event', 'events'));
    parts.push((rej === null ? '?' : rej) + ' rejected');
    var a = x.alerts && typeof x.alerts === 'object' ? x.alerts : null;
    if (a) {
      parts.push((num(a.LAYERING) === null ? 0 : a.LAYERING) + ' layering');
      parts.push((num(a.WASH_TRADING) === null ? 0 : a.WASH_TRADING) + ' wash trading');
    }
    return parts.join(', ');
  }

  var STATUS_WORDS = { completed: 'completed', validation_failed: 'input refused', running: 'still running' };

  function drawRuns(more) {
    var list = $('runs-list');
    clear(list);
    runs.list.forEach(function (x) {
      var id = x.request_id;
      var status = typeof x.status === 'string' ? x.status : 'unknown';
      var li = el('li', { 'data-id': id, 'data-status': status });
      var openable = status === 'completed';
      var box = openable ? el('button', { type: 'button', 'class': 'open-run', 'data-id': id }) :
                           el('div', { 'class': 'run-closed' });
      var name = typeof x.input_name === 'string' && x.input_name ? x.input_name : 'Unnamed input';
      box.appendChild(el('span', { 'class': 'run-name' }, name));
      var when = timeWords(x.started);
      var w = el('span', { 'class': 'run-when' });
      if (when) {
        var t = el('time', { datetime: x.started }, when);
        w.appendChild(t);
      } else {
        w.textContent = 'start time unknown';
      }
      box.appendChild(w);
      box.appendChild(el('span', { 'class': 'run-counts' }, runCounts(x)));
      var pw = x.params && typeof x.params === 'object' ? paramsWords(x.params) : '';
      if (pw) box.appendChild(el('span', { 'class': 'run-params' }, 'Thresholds: ' + pw));
      if (status !== 'completed')
        box.appendChild(el('span', { 'class': 'run-state' }, 'Status: ' + (STATUS_WORDS[status] || status) +
          (openable ? '' : ' (no report to open)')));
      box.appendChild(el('span', { 'class': 'run-id' }, 'Run ' + id));
      li.appendChild(box);
      list.appendChild(li);
    });
    $('runs-more').hidden = !more;
    $('runs-status').textContent = runs.list.length ? '' : 'No run yet on this server.';
    markCurrentRun();
  }

  function markCurrentRun() {
    var cur = state.run && state.run.request_id;
    Array.prototype.forEach.call($('runs-list').querySelectorAll('button.open-run'), function (b) {
      if (cur && b.getAttribute('data-id') === cur) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    });
  }

  /* Reopen a listed run: its run.json gives the fields of the orchestrate
   * answer (docs/reports.md "Run record"); loadRun() then fetches the
   * reports as for a fresh run. The timeline needs the input file again. */
  function openRun(id) {
    if (state.busy) return;
    hideError();
    say('Opening run ' + id + '…');
    var base = '/api/runs/' + encodeURIComponent(id) + '/';
    apiGet(base + 'run.json').then(function (r) {
      var run = r.status === 200 ? parseJson(r.body) : null;
      if (!run) {
        explainFailure(r.status, r.body, r.retryAfter, 'opening run ' + id);
        return;
      }
      var answer = { request_id: id, status: run.status, partial: !!run.partial,
                     event_count: run.event_count, rejected_count: run.rejected_count,
                     rejected: Array.isArray(run.rejected) ? run.rejected : [],
                     services: run.services || {}, failed_services: run.failed_services || [],
                     error: run.error || null, input_name: run.input_name || null,
                     outputs: { suspicious_accounts: base + 'suspicious_accounts.csv',
                                detections: base + 'detections.csv' } };
      loadRun(answer, {});
    }, function () {
      explainFailure(0, '', null, 'opening run ' + id);
    });
  }

  /* ------------------------------------------------------------------ */
  /* Thresholds (GET /api/params; per-run values, docs/api.md)           */

  var PARAM_LABELS = {
    layering_orders_window_seconds: 'Layering: orders window (seconds)',
    layering_cancel_window_seconds: 'Layering: cancellation window (seconds)',
    layering_trade_window_seconds: 'Layering: trade window (seconds)',
    wash_window_seconds: 'Wash trading: window (seconds)',
    wash_min_buy_trades: 'Wash trading: minimum BUY trades',
    wash_min_sell_trades: 'Wash trading: minimum SELL trades',
    wash_min_alternation_pct: 'Wash trading: minimum alternation (%)',
    wash_min_volume: 'Wash trading: minimum volume',
    wash_price_change_pct: 'Wash trading: price change reported from (%)'
  };
  var TYPE_RULES = { seconds: 'a number of seconds > 0', integer: 'a whole number ≥ 1', number: 'a number > 0' };
  var params = { list: null, byName: {} };

  function paramLabel(p) { return PARAM_LABELS[p.name] || p.name; }

  function loadParams() {
    quietGet('/api/params').then(function (r) {
      var j = r.status === 200 ? parseJson(r.body) : null;
      var list = j && Array.isArray(j.params) ? j.params.filter(function (p) {
        return p && typeof p.name === 'string' && /^[a-z0-9_]+$/.test(p.name);
      }) : null;
      if (!list || !list.length) return;     /* an older server: no per-run thresholds */
      params.list = list;
      params.byName = {};
      list.forEach(function (p) { params.byName[p.name] = p; });
      buildParamFields();
      $('params').hidden = false;
      drawRuns($('runs-more').hidden === false);
      if (state.runRecord) showRunMeta(state.run, { run: state.runRecord, sent: state.sending });
    }, function () { /* no panel */ });
  }

  function fmtValue(v) { return String(v); }

  function buildParamFields() {
    var host = $('params-fields');
    clear(host);
    params.list.forEach(function (p) {
      var id = 'param-' + p.name;
      var d = el('div', { 'class': 'param-field', 'data-name': p.name });
      d.appendChild(el('label', { 'for': id }, paramLabel(p)));
      var input = el('input', { type: 'text', id: id, name: p.name, 'data-type': p.type || 'number',
        inputmode: p.type === 'integer' ? 'numeric' : 'decimal', autocomplete: 'off', spellcheck: 'false',
        'aria-describedby': id + '-help ' + id + '-error', 'data-server': fmtValue(p.value) });
      input.value = fmtValue(p.value);
      d.appendChild(input);
      var help = el('p', { id: id + '-help', 'class': 'help' });
      help.appendChild(el('span', { 'class': 'server-value' }, 'Server value: ' + fmtValue(p.value)));
      help.appendChild(document.createTextNode('; ' + (TYPE_RULES[p.type] || 'a number') + '. ' +
        (p.description ? p.description + ' ' : '')));
      help.appendChild(el('code', { 'class': 'env' }, p.env || p.name.toUpperCase()));
      d.appendChild(help);
      d.appendChild(el('p', { id: id + '-error', 'class': 'field-error', hidden: '' }));
      host.appendChild(d);
    });
    paramsSummary();
  }

  /* "Thresholds (9 values, 2 changed)": also said while the panel is shut. */
  function paramsSummary() {
    var n = params.list.filter(function (p) {
      var input = $('param-' + p.name);
      return input && input.getAttribute('data-changed') === 'true';
    }).length;
    $('params-summary').textContent = 'Thresholds (' + plural(params.list.length, 'value', 'values') + ', ' +
      (n ? n + ' changed from the server\'s' : 'the server\'s') + ')';
  }

  var DECIMAL_RE = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

  /* The server's rules (docs/configuration.md "Value syntax"): '' when
   * the text is acceptable, else the words why not. */
  function paramProblem(type, v) {
    if (v === '') return 'enter a value';
    if (type === 'integer') {
      if (!/^\d+$/.test(v)) return 'must be a whole number (digits only)';
      if (!/[1-9]/.test(v)) return 'must be a whole number ≥ 1';
      if (v.replace(/^0+/, '').length > 19 || BigInt(v) > 18446744073709551615n) return 'is too large';
      return '';
    }
    if (!DECIMAL_RE.test(v)) return 'must be a decimal number such as 2, 1.5 or .25';
    var x = parseFloat(v);
    if (!isFinite(x)) return 'is too large';
    if (!(x > 0)) return 'must be greater than 0';
    if (type === 'seconds') {
      if (x > 3.2e9) return 'must be at most 3.2e9 seconds';
      if (Math.round(x * 1e6) < 1) return 'must be at least 1 microsecond';
    }
    return '';
  }

  function setFieldError(name, text) {
    var input = $('param-' + name), box = $('param-' + name + '-error');
    if (!input || !box) return false;
    box.textContent = text || '';
    box.hidden = !text;
    if (text) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    input.closest('.param-field').classList.toggle('invalid', !!text);
    return true;
  }

  function markChanged(input) {
    var p = params.byName[input.name];
    var changed = !!p && input.value.trim() !== '' && !sameValue(input.value.trim(), p.value);
    input.closest('.param-field').classList.toggle('changed', changed);
    input.setAttribute('data-changed', changed ? 'true' : 'false');
    paramsSummary();
  }

  function sameValue(text, v) { return parseFloat(text) === Number(v) && text.trim() !== ''; }

  /* The thresholds to send: [{name, value}] of the fields that differ from
   * the server's values; null (errors shown at their fields) when one is
   * invalid. */
  function changedParams() {
    if (!params.list) return [];
    var out = [], first = null;
    var check = !$('params-form').hasAttribute('data-no-client-check');   /* test hook: the server's own 400 */
    params.list.forEach(function (p) {
      var input = $('param-' + p.name);
      if (!input) return;
      var v = input.value.trim();
      var why = check ? paramProblem(p.type, v) : '';
      setFieldError(p.name, why ? paramLabel(p) + ' ' + why + '.' : '');
      if (why && !first) first = input;
      if (!why && !sameValue(v, p.value)) out.push({ name: p.name, value: v });
    });
    if (first) {
      $('params').open = true;
      first.focus();
      say('A threshold is not valid: ' + $(first.id + '-error').textContent + ' Nothing was sent.');
      return null;
    }
    return out;
  }

  /* A 400 naming a threshold: its words go next to that field too. */
  function paramRefused(reason) {
    if (!reason || !params.list) return;
    var low = reason.toLowerCase(), hit = null;
    params.list.slice().sort(function (a, b) { return b.name.length - a.name.length; }).forEach(function (p) {
      if (hit) return;
      var words = [p.name, (p.env || '').toLowerCase()].filter(Boolean);
      if (words.some(function (w) { return new RegExp('(^|[^a-z0-9_])' + w + '($|[^a-z0-9_])').test(low); })) hit = p;
    });
    if (!hit) return;
    $('error-title').textContent = 'The server did not accept a threshold.';
    setFieldError(hit.name, 'The server refused this value: ' + reason);
    $('params').open = true;
    $('param-' + hit.name).focus();
  }

  /* "wash_min_volume 5000 (server 10000), …" for a run's params, only
   * the values other than the server's; "the server's values" else. */
  function paramsWords(runParams) {
    var names = Object.keys(runParams);
    if (!names.length) return '';
    var diff = names.filter(function (n) {
      var p = params.byName[n];
      return !p || Number(runParams[n]) !== Number(p.value);
    });
    if (!params.list)
      return names.map(function (n) { return n + ' ' + runParams[n]; }).join(', ');
    if (!diff.length) return "the server's values";
    return diff.map(function (n) {
      var p = params.byName[n];
      return n + ' ' + runParams[n] + (p ? ' (server ' + fmtValue(p.value) + ')' : '');
    }).join(', ');
  }

  function resetParams() {
    if (!params.list) return;
    params.list.forEach(function (p) {
      var input = $('param-' + p.name);
      input.value = fmtValue(p.value);
      setFieldError(p.name, '');
      markChanged(input);
    });
    say('The thresholds are back to the server\'s values.');
  }

  function updateRerun() {
    var b = $('rerun-button');
    b.disabled = state.busy || !state.run || !(state.runFile || state.file) || !!state.retryTimer;
  }

  /* ------------------------------------------------------------------ */
  /* Comparison with the previous run (GET /api/runs/<a>/compare/<b>)   */

  function alertKey(account, product, type, ts) {
    return [account, product, type, ts].join('\u0000');
  }

  function loadCompare(whatIf, id, runRecord) {
    var a = whatIf.prevId;
    if (!a || !id) return;
    apiGet('/api/runs/' + encodeURIComponent(a) + '/compare/' + encodeURIComponent(id)).then(function (r) {
      if (!state.run || state.run.request_id !== id) return;
      var j = r.status === 200 ? parseJson(r.body) : null;
      if (!j || !Array.isArray(j.added) || !Array.isArray(j.removed)) {
        showCompareError('The comparison with run ' + a + ' could not be loaded' +
          (serverReason(j) ? ': ' + serverReason(j) : ' (HTTP ' + r.status + ')') + '.');
        return;
      }
      applyCompare(a, j, whatIf.prevParams, runRecord && runRecord.params);
    }, function () {
      showCompareError('The comparison with run ' + a + ' could not be loaded: the server could not be reached.');
    });
  }

  function showCompareError(text) {
    $('compare').hidden = false;
    $('compare-text').textContent = text;
    clear($('compare-types'));
    $('removed-details').hidden = true;
  }

  function applyCompare(prev, j, prevParams, newParams) {
    var h = state.header, ai = h.indexOf('account_id'), pi = h.indexOf('product_id'),
        ti = h.indexOf('detection_type'), di = h.indexOf('detected_timestamp');
    var added = new Set();
    j.added.forEach(function (x) {
      added.add(alertKey(guardId(String(x.account_id)), guardId(String(x.product_id)), x.detection_type, x.detected_timestamp));
    });
    var nAdded = 0;
    state.rows.forEach(function (r) {
      r.change = added.has(alertKey(r.cells[ai], r.cells[pi], r.cells[ti], r.cells[di])) ? 'added' : null;
      if (r.change) nAdded++;
    });
    state.compare = { prev: prev, added: j.added, removed: j.removed, unchanged: j.unchanged, rows: nAdded };
    /* per type: before = after - added + removed */
    var after = countByType(), before = {}, types = {};
    Object.keys(after).forEach(function (t) { types[t] = 1; before[t] = after[t]; });
    j.added.forEach(function (x) { types[x.detection_type] = 1; before[x.detection_type] = (before[x.detection_type] || 0) - 1; });
    j.removed.forEach(function (x) { types[x.detection_type] = 1; before[x.detection_type] = (before[x.detection_type] || 0) + 1; });
    var ul = $('compare-types');
    clear(ul);
    Object.keys(types).sort().forEach(function (t) {
      var a = j.added.filter(function (x) { return x.detection_type === t; }).length;
      var rm = j.removed.filter(function (x) { return x.detection_type === t; }).length;
      var li = el('li', { 'data-type': t, 'data-before': String(before[t] || 0), 'data-after': String(after[t] || 0) },
        (TYPE_NAMES[t] || t) + ': ' + (before[t] || 0) + ' → ' + (after[t] || 0) +
        ' (' + a + ' added, ' + rm + ' removed)');
      ul.appendChild(li);
    });
    var changes = [];
    if (prevParams && newParams) {
      Object.keys(newParams).forEach(function (n) {
        if (Number(prevParams[n]) !== Number(newParams[n])) changes.push(n + ' ' + prevParams[n] + ' → ' + newParams[n]);
      });
    }
    $('compare-text').textContent = 'Against run ' + prev + ': ' + plural(j.added.length, 'alert', 'alerts') + ' added (marked "Added" in the table), ' +
      j.removed.length + ' removed (listed below), ' + (typeof j.unchanged === 'number' ? j.unchanged : '?') + ' unchanged.' +
      (changes.length ? ' Thresholds changed: ' + changes.join(', ') + '.' : prevParams ? ' No threshold changed.' : '');
    var rb = $('removed-body');
    clear(rb);
    j.removed.forEach(function (x) {
      var tr = el('tr', { 'class': 'removed', 'data-change': 'removed' });
      [x.account_id, x.product_id, TYPE_NAMES[x.detection_type] || x.detection_type, x.detected_timestamp].forEach(function (v) {
        tr.appendChild(el('td', null, String(v)));
      });
      rb.appendChild(tr);
    });
    $('removed-summary').textContent = 'Removed alerts (' + j.removed.length + ')';
    $('removed-details').hidden = false;
    $('removed-details').open = j.removed.length > 0;
    $('compare').hidden = false;
    $('only-changes-field').hidden = false;
    renderRows();
    say('Compared with the previous run: ' + j.added.length + ' added, ' + j.removed.length + ' removed.');
  }

  function clearCompare() {
    state.compare = null;
    $('compare').hidden = true;
    $('only-changes-field').hidden = true;
    $('only-changes').checked = false;
  }

  /* ------------------------------------------------------------------ */
  /* Alerts table                                                        */

  function loadReports(susText, detText) {
    var recs = parseCsvText(susText);
    state.header = recs.length ? recs[0].fields : [];
    var detRecs = detText ? parseCsvText(detText) : [];
    state.detHeader = detRecs.length ? detRecs[0].fields : [];
    state.rows = recs.slice(1).map(function (r, i) {
      return { cells: r.fields, index: i, det: detRecs[i + 1] ? detRecs[i + 1].fields : null };
    });
    state.sortCol = -1;
    state.sortDir = 'ascending';
    state.selected = -1;
    state.page = 0;
    state.groupCache = null;
    state.expanded = new Set();
    clearCompare();
    buildHead();
    buildTypeFilter();
    $('text-filter').value = '';
    renderRows();
    $('alerts').hidden = false;
    $('timeline').hidden = true;
  }

  function buildHead() {
    var tr = $('alerts-head');
    clear(tr);
    state.header.forEach(function (name, i) {
      var th = el('th', { scope: 'col', 'data-col': name });
      var b = el('button', { type: 'button', 'class': 'sort', 'data-col': String(i) });
      b.appendChild(el('span', null, COLUMN_LABELS[name] || name));
      b.appendChild(el('span', { 'class': 'arrow', 'aria-hidden': 'true' }, ''));
      b.addEventListener('click', function () { sortBy(i); });
      th.appendChild(b);
      tr.appendChild(th);
    });
    tr.appendChild(el('th', { scope: 'col' }, 'Details'));
  }

  function buildTypeFilter() {
    var sel = $('type-filter');
    var keep = sel.value;
    while (sel.options.length > 1) sel.remove(1);
    Object.keys(countByType()).sort().forEach(function (t) {
      sel.appendChild(el('option', { value: t }, TYPE_NAMES[t] ? TYPE_NAMES[t] + ' (' + t + ')' : t));
    });
    sel.value = keep && countByType()[keep] ? keep : '';
  }

  function cmpText(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  function sortKey(name, v) {
    if (v === '') return null;
    if (NUMERIC[name]) { var x = parseFloat(v); return isNaN(x) ? null : x; }
    if (name === 'detected_timestamp') { var t = parseTimestamp(v); return t === null ? v : t; }
    return v;
  }

  function sortBy(col) {
    if (state.sortCol === col) {
      state.sortDir = state.sortDir === 'ascending' ? 'descending' : 'ascending';
    } else {
      state.sortCol = col;
      state.sortDir = 'ascending';
    }
    var name = state.header[col];
    var dir = state.sortDir === 'ascending' ? 1 : -1;
    var keys = new Map();   /* one key per row, not one per comparison */
    state.rows.forEach(function (r) { keys.set(r, sortKey(name, r.cells[col] || '')); });
    state.rows.sort(function (ra, rb) {
      var a = keys.get(ra), b = keys.get(rb);
      var c;
      if (a === null || b === null) c = a === null ? (b === null ? 0 : 1) : -1;  /* empty last */
      else c = dir * (typeof a === 'string' || typeof b === 'string' ? cmpText(String(a), String(b)) : (a < b ? -1 : a > b ? 1 : 0));
      return c || ra.index - rb.index;
    });
    state.page = 0;
    renderRows();
    var label = COLUMN_LABELS[name] || name;
    say('Sorted by ' + label + ', ' + state.sortDir + '.');
  }

  /* Lower-case "account\u0000product" of a row, computed once. */
  function searchText(r) {
    if (r.search === undefined) {
      var ai = state.header.indexOf('account_id'), pi = state.header.indexOf('product_id');
      r.search = (r.cells[ai] || '').toLowerCase() + '\u0000' + (r.cells[pi] || '').toLowerCase();
    }
    return r.search;
  }

  function visibleRows() {
    var type = $('type-filter').value;
    var text = $('text-filter').value.trim().toLowerCase();
    var ti = state.header.indexOf('detection_type');
    var changes = !!state.compare && $('only-changes').checked;
    if (!type && !text && !changes) return state.rows;
    return state.rows.filter(function (r) {
      if (changes && !r.change) return false;
      if (type && r.cells[ti] !== type) return false;
      return !text || searchText(r).indexOf(text) >= 0;
    });
  }

  /* The table shows one page of PAGE_ROWS rows: 20,000 alerts would
   * otherwise take seconds to lay out, on every filter keystroke. */
  var PAGE_ROWS = 100;

  function filtersChanged() {
    state.page = 0;
    renderRows();
  }

  function renderRows() {
    var ths = $('alerts-head').children;
    for (var i = 0; i < state.header.length; i++) {
      var th = ths[i];
      var arrow = th.querySelector('.arrow');
      if (i === state.sortCol) {
        th.setAttribute('aria-sort', state.sortDir);
        arrow.textContent = state.sortDir === 'ascending' ? ' ▲' : ' ▼';
      } else {
        th.removeAttribute('aria-sort');
        arrow.textContent = '';
      }
    }
    var body = $('alerts-body');
    var rows = visibleRows();
    var pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
    if (!(state.page >= 0)) state.page = 0;
    if (state.page >= pages) state.page = pages - 1;
    var from = state.page * PAGE_ROWS;
    var shown = rows.slice(from, from + PAGE_ROWS);
    var ai = state.header.indexOf('account_id');
    var pi = state.header.indexOf('product_id');
    var di = state.header.indexOf('detected_timestamp');
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = el('tr', { 'data-index': String(r.index) });
      if (r.index === state.selected) tr.className = 'selected';
      if (r.change) { tr.classList.add(r.change); tr.setAttribute('data-change', r.change); }
      r.cells.forEach(function (v, i) {
        var td = el('td', { 'data-col': state.header[i] || '' });
        var cut = state.header[i] === 'detected_timestamp' ? v.indexOf('T') + 1 : 0;
        if (cut > 0) {          /* a line-break chance after the date; text unchanged */
          td.appendChild(document.createTextNode(v.slice(0, cut)));
          td.appendChild(document.createElement('wbr'));
          td.appendChild(document.createTextNode(v.slice(cut)));
        } else {
          td.textContent = v;
        }
        if (NUMERIC[state.header[i]]) td.className = 'num';
        tr.appendChild(td);
      });
      var td = el('td', { 'class': 'details' });
      var what = (r.cells[ai] || '') + ' / ' + (r.cells[pi] || '') + ' at ' + (r.cells[di] || '');
      if (r.change === 'added') td.appendChild(el('span', { 'class': 'change-tag' }, 'Added'));
      var open = state.expanded.has(r.index);
      var eb = td.appendChild(el('button', { type: 'button', 'class': 'show-evidence', 'data-index': String(r.index),
        'aria-expanded': open ? 'true' : 'false', 'aria-label': 'Evidence of ' + what }, 'Evidence'));
      if (open) eb.setAttribute('aria-controls', 'evidence-' + r.index);   /* only while the panel exists */
      var b = el('button', {
        type: 'button', 'class': 'show-timeline', 'data-index': String(r.index),
        'aria-pressed': r.index === state.selected ? 'true' : 'false',
        'aria-label': 'Timeline of ' + (r.cells[ai] || '') + ' / ' + (r.cells[pi] || '') +
          ' at ' + (r.cells[di] || '')
      }, 'Timeline');
      td.appendChild(b);
      tr.appendChild(td);
      frag.appendChild(tr);
      if (open) frag.appendChild(evidenceRow(r));
    });
    clear(body);
    body.appendChild(frag);
    var total = state.rows.length;
    $('alert-count').textContent = rows.length + ' of ' + total + ' alerts' +
      (state.compare && $('only-changes').checked ? ' (only changes)' : '') +
      (pages > 1 ? ', rows ' + (from + 1) + '–' + (from + shown.length) + ' shown' : '');
    $('alerts-empty').hidden = rows.length > 0 || total === 0;
    $('pager').hidden = pages <= 1;
    $('page-info').textContent = 'Page ' + (state.page + 1) + ' of ' + pages;
    $('page-prev').disabled = state.page <= 0;
    $('page-next').disabled = state.page >= pages - 1;
  }

  function turnPage(d) {
    state.page += d;
    renderRows();
    say($('page-info').textContent + ': ' + $('alert-count').textContent + '.');
  }

  /* ------------------------------------------------------------------ */
  /* Evidence (GET /api/runs/<id>/alerts.json, one object per report row) */

  /* alerts.json of the run shown, fetched once; resolves the list or
   * null (error in state.alerts.error). */
  function getAlerts() {
    var id = state.run && state.run.request_id;
    if (!id) return Promise.resolve(null);
    if (state.alerts && state.alerts.id === id) return state.alerts.promise;
    var a = state.alerts = { id: id, list: null, done: false, error: null, promise: null };
    var t0 = performance.now();
    a.promise = apiGet(runUrl('alerts.json')).then(function (r) {
      var t1 = performance.now();
      var j = null;
      if (r.status === 200) { try { j = JSON.parse(r.body); } catch (e) { j = null; } }
      if (!Array.isArray(j)) {
        a.error = r.status === 200 ? 'the server\'s alerts.json is not a list' :
          r.status === 404 ? 'this run has no alerts.json (it may come from an older server)' :
          (serverReason(parseJson(r.body)) || 'HTTP ' + r.status);
        j = null;
      }
      a.list = j;
      a.done = true;
      a.ms = { fetch: Math.round(t1 - t0), parse: Math.round(performance.now() - t1) };   /* read by the browser test */
      return j;
    }, function () {
      a.error = 'the server could not be reached';
      a.done = true;
      return null;
    });
    return a.promise;
  }

  /* The alerts.json object of report row `index`, when it is the same
   * alert (identity checked against the row's cells); else null. */
  function alertOf(index) {
    var list = state.alerts && state.alerts.id === (state.run && state.run.request_id) ? state.alerts.list : null;
    var x = list && list[index];
    var row = rowByIndex(index);
    if (!x || !row) return null;
    var h = state.header;
    if (guardId(String(x.account_id)) !== row.cells[h.indexOf('account_id')] ||
        guardId(String(x.product_id)) !== row.cells[h.indexOf('product_id')] ||
        x.detection_type !== row.cells[h.indexOf('detection_type')] ||
        x.detected_timestamp !== row.cells[h.indexOf('detected_timestamp')]) return null;
    return x;
  }

  function rowByIndex(index) {
    var r = state.rows[index];          /* rows keep their objects; find by index */
    if (r && r.index === index) return r;
    for (var i = 0; i < state.rows.length; i++) if (state.rows[i].index === index) return state.rows[i];
    return null;
  }

  /* The scan of the run's file (every alert group's events around its
   * alerts) and alerts.json; started once per file and run. */
  function groupScan(file) {
    var id = state.run && state.run.request_id;
    var cache = state.groupCache;
    if (cache && cache.file === file && cache.id === id) return cache;
    cache = state.groupCache = { file: file, id: id, map: null, scan: null, promise: null };
    /* alerts.json is asked for once the file is read: side by side the
     * two slow each other down, and the timeline needs only the file to
     * be drawn (its records are ringed when alerts.json is there) */
    cache.scan = scanGroups(file, alertGroups()).then(function (map) { cache.map = map; return map; });
    cache.promise = cache.scan.then(function (map) { return getAlerts().then(function () { return map; }); });
    cache.scan.catch(function () { /* shown by the caller */ });
    cache.promise.catch(function () { /* shown by the caller */ });
    return cache;
  }

  function evidenceRow(r) {
    var tr = el('tr', { 'class': 'evidence-row', 'data-evidence-for': String(r.index) });
    var td = el('td', { colspan: String(state.header.length + 1) });
    var h = state.header;
    var box = el('div', { 'class': 'evidence', id: 'evidence-' + r.index, role: 'group',
      'aria-label': 'Evidence of ' + r.cells[h.indexOf('account_id')] + ' / ' + r.cells[h.indexOf('product_id')] +
        ' at ' + r.cells[h.indexOf('detected_timestamp')] });
    td.appendChild(box);
    tr.appendChild(td);
    fillEvidence(box, r.index);
    return tr;
  }

  /* An evidence figure: at most 4 decimals shown (the exact value is in
   * data-value and alerts.json). */
  function evNum(v) {
    return typeof v === 'number' && isFinite(v) && !Number.isInteger(v) ? String(+v.toFixed(4)) : String(v);
  }

  function fillEvidence(box, index) {
    clear(box);
    var runId = state.run && state.run.request_id;
    if (!state.alerts || state.alerts.id !== runId || !state.alerts.done) {
      box.setAttribute('aria-busy', 'true');
      box.appendChild(el('p', { 'class': 'help' }, 'Loading the evidence (alerts.json)…'));
      getAlerts().then(function () {
        if (box.isConnected && state.run && state.run.request_id === runId) fillEvidence(box, index);
      });
      return;
    }
    box.setAttribute('aria-busy', 'false');
    var x = alertOf(index);
    if (!x) {
      box.appendChild(el('p', { 'class': 'help evidence-missing' }, state.alerts.error ?
        'The evidence cannot be shown: ' + state.alerts.error + '.' :
        'The evidence cannot be shown: alerts.json has no matching entry for this row.'));
      return;
    }
    var ev = Array.isArray(x.evidence) ? x.evidence : [];
    var recs = Array.isArray(x.records) ? x.records : [];
    var t = el('table', { 'class': 'clauses' });
    t.appendChild(el('caption', null, 'Rules met (' + ev.length + ')'));
    var head = el('tr');
    ['Clause', 'Observed', 'Threshold'].forEach(function (w) { head.appendChild(el('th', { scope: 'col' }, w)); });
    t.appendChild(el('thead')).appendChild(head);
    var tb = t.appendChild(el('tbody'));
    ev.forEach(function (c) {
      var tr = el('tr', { 'data-clause': String(c.clause) });
      tr.appendChild(el('th', { scope: 'row' }, String(c.clause)));
      tr.appendChild(el('td', { 'class': 'num', 'data-value': String(c.observed) }, evNum(c.observed)));
      tr.appendChild(el('td', { 'class': 'num', 'data-value': String(c.threshold) }, evNum(c.threshold)));
      tb.appendChild(tr);
    });
    box.appendChild(t);

    var p = el('p', { 'class': 'record-list', 'data-records': recs.join(' ') });
    p.appendChild(el('strong', null, 'Input records (' + recs.length + '): '));
    p.appendChild(document.createTextNode(recs.join(', ')));
    p.appendChild(el('span', { 'class': 'help' }, ' (record numbers of the uploaded file; the header is record 1)'));
    box.appendChild(p);

    var evHost = el('div', { 'class': 'record-events-host' });
    box.appendChild(evHost);
    fillRecordEvents(evHost, index, recs);

    var actions = el('div', { 'class': 'actions' });
    actions.appendChild(el('button', { type: 'button', 'class': 'evidence-timeline', 'data-index': String(index) },
      'Show these records on the timeline'));
    box.appendChild(actions);
  }

  function fillRecordEvents(host, index, recs) {
    clear(host);
    var file = state.runFile;
    if (!file) {
      var p = el('p', { 'class': 'need-file' }, 'The input file is needed for the events of these records: ' +
        'this run was opened from the history, and the page only reads a file chosen here. ');
      var id = 'attach-' + index;
      var lab = el('label', { 'for': id }, 'Input file of this run');
      var input = el('input', { type: 'file', id: id, 'class': 'attach-file', accept: '.csv,.gz,.csv.gz,text/csv,application/gzip' });
      host.appendChild(p);
      host.appendChild(lab);
      host.appendChild(input);
      return;
    }
    var cache = groupScan(file);
    if (!cache.map) {
      host.appendChild(el('p', { 'class': 'help' }, 'Reading ' + file.name + '…'));
      cache.scan.then(function () {
        if (host.isConnected && state.groupCache === cache) fillRecordEvents(host, index, recs);
      }, function (err) {
        if (!host.isConnected) return;
        clear(host);
        host.appendChild(el('p', { 'class': 'help' }, 'The events cannot be read from ' + file.name + ': ' + err.message + '.'));
      });
      return;
    }
    var t = el('table', { 'class': 'record-events' });
    t.appendChild(el('caption', null, 'The events of these records, as written in ' + file.name));
    var head = el('tr');
    ['Record', 'Timestamp', 'Side', 'Type', 'Price', 'Quantity'].forEach(function (w) { head.appendChild(el('th', { scope: 'col' }, w)); });
    t.appendChild(el('thead')).appendChild(head);
    var tb = t.appendChild(el('tbody'));
    var missing = 0;
    var row = rowByIndex(index), h = state.header, byRec = new Map();
    (cache.map.get(groupKey(row.cells[h.indexOf('account_id')], row.cells[h.indexOf('product_id')])) || [])
      .forEach(function (e) { byRec.set(e.recno, e.raw); });
    recs.forEach(function (n) {
      var e = byRec.get(n);
      var tr = el('tr', { 'data-record': String(n) });
      tr.appendChild(el('th', { scope: 'row' }, String(n)));
      if (!e) {
        missing++;
        tr.appendChild(el('td', { colspan: '5', 'class': 'help' }, 'not found among this account and product\'s valid events near the alert'));
      } else {
        e.forEach(function (v, i) {
          tr.appendChild(el('td', i >= 3 ? { 'class': 'num' } : null, v));
        });
      }
      tb.appendChild(tr);
    });
    var wrap = el('div', { 'class': 'table-wrap' });
    wrap.appendChild(t);
    host.appendChild(wrap);
    if (missing) host.appendChild(el('p', { 'class': 'help' }, plural(missing, 'record was', 'records were') +
      ' not found in ' + file.name + ': is it the input of this run?'));
  }

  function toggleEvidence(btn) {
    var index = +btn.getAttribute('data-index');
    var row = rowByIndex(index);
    if (!row) return;
    var tr = btn.closest('tr');
    var next = tr.nextElementSibling;
    if (next && next.classList.contains('evidence-row')) next.parentNode.removeChild(next);
    var open = !state.expanded.has(index);
    if (open) state.expanded.add(index); else state.expanded.delete(index);
    btn.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (!open) { btn.removeAttribute('aria-controls'); say('Evidence closed.'); return; }
    btn.setAttribute('aria-controls', 'evidence-' + index);
    tr.parentNode.insertBefore(evidenceRow(row), tr.nextSibling);
    getAlerts().then(function () {
      var x = alertOf(index);
      say(x ? 'Evidence of ' + btn.getAttribute('aria-label').replace(/^Evidence of /, '') + ': ' +
              plural((x.evidence || []).length, 'rule', 'rules') + ', ' + plural((x.records || []).length, 'record', 'records') + '.' :
              'The evidence of this alert cannot be shown.');
    });
  }

  /* A reopened run's input chosen inside an evidence panel. */
  function attachFile(input) {
    var f = input.files && input.files[0];
    if (!f) return;
    state.runFile = f;
    state.groupCache = null;
    updateRerun();
    say('Reading ' + f.name + ' for the events of this run…');
    var ev = input.closest('.evidence');
    var index = ev ? +ev.id.replace('evidence-', '') : -1;
    renderRows();
    var b = document.querySelector('#alerts-body button.show-evidence[data-index="' + index + '"]');
    if (b) b.focus();
  }

  /* ------------------------------------------------------------------ */
  /* Timeline                                                            */

  function groupKey(account, product) { return account + '\u0000' + product; }

  /* key (report account/product) -> time windows of its alerts. */
  function alertGroups() {
    var h = state.header, ai = h.indexOf('account_id'), pi = h.indexOf('product_id');
    var m = new Map();
    state.rows.forEach(function (r) {
      var w = alertWindow(r);
      if (!w) return;
      var k = groupKey(r.cells[ai], r.cells[pi]);
      if (!m.has(k)) m.set(k, []);
      m.get(k).push(w);
    });
    return m;
  }

  /* Read the uploaded file once and keep the valid events of every alert's
   * account/product that fall inside one of its (padded) windows. Report
   * ids carry the formula guard, so input ids are guarded before matching.
   * Each event keeps its record number and its fields as written (for the
   * evidence: alerts.json records lie inside their alert's window).
   * Resolves to a Map key -> events in group order. */
  function scanGroups(file, groups) {
    return new Promise(function (resolve, reject) {
      var col = null, ncols = 0, found = new Map(), headerError = null, order = 0;
      var reader = new CsvReader(function (f, recno, bad) {
        if (recno === 1) {
          if (bad) { headerError = 'the header is malformed'; return false; }
          col = {};
          f.forEach(function (name, i) {
            var k = trimBlanks(name).toLowerCase();
            if (REQUIRED.indexOf(k) >= 0) {
              if (k in col) headerError = 'column ' + k + ' appears more than once';
              col[k] = i;
            }
          });
          var missing = REQUIRED.filter(function (k) { return !(k in col); });
          if (missing.length) headerError = 'missing required column(s): ' + missing.join(', ');
          ncols = f.length;
          return !headerError;
        }
        if (bad || f.length !== ncols) return;
        var acc = trimBlanks(f[col.account_id]), prod = trimBlanks(f[col.product_id]);
        var key = groupKey(guardId(acc), guardId(prod));
        var wins = groups.get(key);
        if (!wins) return;
        for (var i = 0; i < f.length; i++) if (f[i].indexOf('\uFFFD') >= 0) return;  /* invalid UTF-8 */
        if (!validId(acc) || !validId(prod)) return;
        var ts = parseTimestamp(trimBlanks(f[col.timestamp]));
        if (ts === null) return;
        if (!wins.some(function (w) { return ts >= w.from && ts <= w.to; })) return;
        var rawSide = trimBlanks(f[col.side]), side = rawSide.toUpperCase();
        if (side !== 'BUY' && side !== 'SELL') return;
        var price = trimBlanks(f[col.price]);
        if (!validPrice(price)) return;
        var qty = trimBlanks(f[col.quantity]);
        if (!validQty(qty)) return;
        var rawType = trimBlanks(f[col.event_type]), type = rawType.toUpperCase();
        if (!EVENT_CLASS[type]) return;
        if (!found.has(key)) found.set(key, []);
        found.get(key).push({ ts: ts, side: side, price: price, qty: qty.replace(/^\+/, ''),
                              type: type, recno: recno, order: order++,
                              raw: [trimBlanks(f[col.timestamp]), rawSide, rawType, price, qty] });
      });
      var head = null;   /* first bytes of the (inflated) input, for describeLook */
      var rd = null;
      inputBytes(file).then(function (bytes) {
        var keep = new TransformStream({ transform: function (chunk, ctl) {
          if (!head) head = chunk.slice(0, 65536);
          else if (head.length < 65536) {
            var m = new Uint8Array(Math.min(65536, head.length + chunk.length));
            m.set(head);
            m.set(chunk.subarray(0, m.length - head.length), head.length);
            head = m;
          }
          ctl.enqueue(chunk);
        } });
        rd = bytes.pipeThrough(keep).pipeThrough(new TextDecoderStream('utf-8')).getReader();
        pump();
      }, reject);
      function pump() {
        rd.read().then(function (x) {
          if (x.done || reader.stopped) {
            if (!reader.stopped) reader.end();
            else rd.cancel();
            if (headerError) {
              reject(new Error((head && describeLook(head)) || headerError));
              return;
            }
            found.forEach(function (events) {
              events.sort(function (a, b) { return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.order - b.order; });
            });
            resolve(found);
            return;
          }
          reader.push(x.value);
          pump();
        }, reject);
      }
    });
  }

  /* The bytes of a chosen file as the server reads them: a gzip file
   * (magic bytes, not the name) is inflated, as the server does. */
  function inputBytes(file) {
    return readHead(file, 3).then(function (b) {
      if (!isGzip(b)) return file.stream();
      if (typeof DecompressionStream !== 'function')
        throw new Error('this browser cannot decompress the gzip file');
      return file.stream().pipeThrough(new DecompressionStream('gzip'));
    });
  }

  function readHead(blob, n) {
    return blob.slice(0, n).arrayBuffer().then(function (a) { return new Uint8Array(a); });
  }

  function alertWindow(row) {
    var h = state.header, c = row.cells;
    var end = parseTimestamp(c[h.indexOf('detected_timestamp')] || '');
    var type = c[h.indexOf('detection_type')];
    var start = null;
    var d = row.det, dh = state.detHeader;
    if (d && d[dh.indexOf('product_id')] === c[h.indexOf('product_id')] &&
        d[dh.indexOf('detection_type')] === type) {
      var orders = d[dh.indexOf('order_timestamps')] || '';
      if (orders) start = parseTimestamp(orders.split(';')[0]);
      if (start === null && end !== null) {
        var dur = parseFloat(d[dh.indexOf('duration_seconds')]);
        if (isFinite(dur)) start = end - BigInt(Math.round(dur * US_PER_S));
      }
    }
    if (end === null) return null;
    if (start === null || start > end) start = end;
    /* Pad: max(5 s, a fifth of the window) on each side. */
    var span = end - start;
    var pad = span / 5n;
    if (pad < 5000000n) pad = 5000000n;
    return { start: start, end: end, from: start - pad, to: end + pad, pad: pad };
  }

  function selectAlert(index) {
    var row = rowByIndex(index);
    if (!row) return;
    state.selected = index;
    renderRows();
    var h = state.header;
    var account = row.cells[h.indexOf('account_id')];
    var product = row.cells[h.indexOf('product_id')];
    var type = row.cells[h.indexOf('detection_type')];
    var win = alertWindow(row);
    var sec = $('timeline');
    sec.hidden = false;
    $('timeline-title').textContent = '4. Timeline: ' + account + ' / ' + product +
      ' (' + (TYPE_NAMES[type] || type) + ')';
    var chart = $('timeline-chart');
    clear(chart);
    chart.removeAttribute('data-evidence');
    clear($('events-body'));
    if (!win) {
      $('timeline-caption').textContent = 'This alert has no readable time.';
      return;
    }
    var file = state.runFile;
    if (!file) {
      $('timeline-caption').textContent = 'The uploaded file is no longer available in this page; upload it again (or choose it in the alert\'s Evidence) to see the timeline.';
      return;
    }
    $('timeline-caption').textContent = 'Reading ' + file.name + '…';
    sec.setAttribute('aria-busy', 'true');
    var cache = groupScan(file);
    /* drawn once the file is read; the alert's records are ringed as soon
     * as alerts.json is there too (drawn again, focus left alone) */
    cache.scan.then(function () {
      if (state.selected !== index || state.groupCache !== cache) return;
      var n = drawSelected(row);
      var ringing = !(state.alerts && state.alerts.done);
      if (ringing) {
        chart.setAttribute('data-evidence', 'pending');
        cache.promise.then(function () {
          if (state.selected !== index || state.groupCache !== cache) return;
          drawSelected(row);
          chart.setAttribute('data-evidence', 'done');
        }, function () { chart.setAttribute('data-evidence', 'done'); });
      } else {
        chart.setAttribute('data-evidence', 'done');
      }
      sec.setAttribute('aria-busy', 'false');
      say('Timeline of ' + account + ' / ' + product + ': ' + plural(n.shown, 'event', 'events') + ' shown' +
          (n.evidence >= 0 ? ', ' + plural(n.evidence, 'record', 'records') + ' of the alert ringed.' :
           ringing ? '; its records are ringed once alerts.json is read.' : '.'));
      $('timeline-title').focus();
    }, function (err) {
      sec.setAttribute('aria-busy', 'false');
      $('timeline-caption').textContent = 'The timeline cannot be drawn: ' + err.message + '.';
    });
  }

  /* Draw the timeline of `row` from the finished scan: the events of its
   * account/product in its padded window (widened to hold every record of
   * the alert), the alert's records ringed. */
  function drawSelected(row) {
    var cache = state.groupCache, h = state.header;
    var account = row.cells[h.indexOf('account_id')], product = row.cells[h.indexOf('product_id')];
    var win = alertWindow(row);
    var events = cache.map.get(groupKey(account, product)) || [];
    var x = alertOf(row.index);
    var recs = x && Array.isArray(x.records) ? new Set(x.records) : null;
    if (recs) {
      events.forEach(function (e) {
        if (!recs.has(e.recno)) return;
        if (e.ts < win.from) win.from = e.ts - US_PER_S_BIG;
        if (e.ts > win.to) win.to = e.ts + US_PER_S_BIG;
      });
    }
    var shown = events.filter(function (e) { return e.ts >= win.from && e.ts <= win.to; });
    var chart = $('timeline-chart');
    clear(chart);
    clear($('events-body'));
    drawTimeline(chart, shown, win, account, product, recs);
    var ringed = recs ? shown.filter(function (e) { return recs.has(e.recno); }).length : -1;
    return { shown: shown.length, evidence: ringed };
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  /* BigInt µs -> {date, time} UTC text; time shows ms/µs only when needed. */
  function fmtTime(us, digits) {
    var sub = Number(((us % 1000000n) + 1000000n) % 1000000n);
    var ms = Number((us - BigInt(sub)) / 1000n);
    var d = new Date(ms);
    var t = pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds());
    if (digits > 0) t += '.' + String(1000000 + sub).slice(1, 1 + digits);
    var y = d.getUTCFullYear();
    var date = (y < 1000 ? ('000' + y).slice(-4) : y) + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate());
    return { date: date, time: t };
  }

  var TICK_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000,
                    1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 15e6, 3e7, 6e7, 12e7, 3e8, 6e8, 9e8, 18e8,
                    36e8, 72e8, 108e8, 216e8, 432e8, 864e8, 1728e8, 6048e8];

  /* A "nice" step (1, 2 or 5 times a power of ten) giving about n steps. */
  function niceStep(range, n) {
    var raw = range / Math.max(1, n);
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  /* Marker shape of an event type, r its half-size. */
  function shapeFor(cls, r) {
    var f = function (v) { return (Math.round(v * 10) / 10).toString(); };
    if (cls === 'placed') return svg('circle', { 'class': 'shape placed', r: f(r) });
    if (cls === 'cancelled') {
      var c = r;
      return svg('path', { 'class': 'shape cancelled',
        d: 'M' + f(-c) + ',' + f(-c) + 'L' + f(c) + ',' + f(c) + 'M' + f(-c) + ',' + f(c) + 'L' + f(c) + ',' + f(-c) });
    }
    var d = r * 1.2;
    return svg('path', { 'class': 'shape traded',
      d: 'M0,' + f(-d) + 'L' + f(d) + ',0L0,' + f(d) + 'L' + f(-d) + ',0Z' });
  }

  /* Time runs left to right; each event sits at its price (axis on the
   * left) with a size growing with its quantity (area ~ quantity); colour
   * is the side, shape the event type, as the legend shows. */
  function drawTimeline(host, events, win, account, product, recs) {
    var width = Math.max(300, Math.min(1100, host.clientWidth || 600));
    var narrow = width < 480;
    var prices = events.map(function (e) { return parseFloat(e.price); });
    var lo = prices.length ? Math.min.apply(null, prices) : 1;
    var hi = prices.length ? Math.max.apply(null, prices) : 1;
    if (hi - lo < Math.abs(hi) * 1e-6 || hi === lo) {
      var d0 = Math.max(Math.abs(hi) * 0.005, 0.01);
      lo -= d0; hi += d0;
    }
    var pstep = niceStep(hi - lo, narrow ? 4 : 5);
    lo = Math.floor(lo / pstep) * pstep;
    hi = Math.ceil(hi / pstep) * pstep;
    if (hi - lo < pstep * 2) hi = lo + pstep * 2;
    var pdigits = Math.max(0, Math.min(8, -Math.floor(Math.log10(pstep) + 1e-9)));
    var labelW = Math.max(String(hi.toFixed(pdigits)).length, String(lo.toFixed(pdigits)).length) * 7 + 10;
    var ml = Math.max(narrow ? 40 : 52, labelW), mr = 16, mt = 22, mb = 44;
    var plotH = narrow ? 200 : 260;
    var axisY = mt + plotH;
    var height = axisY + mb;
    var span = Number(win.to - win.from) || 1;
    var plotW = width - ml - mr;
    var x = function (us) { return ml + plotW * Number(us - win.from) / span; };
    var y = function (p) { return axisY - 8 - (plotH - 16) * (p - lo) / (hi - lo); };
    var qmax = 1;
    events.forEach(function (e) { var q = Number(e.qty); if (q > qmax) qmax = q; });
    var size = function (q) { return 3 + 6 * Math.sqrt(Math.max(0, Number(q)) / qmax); };

    var root = svg('svg', {
      id: 'timeline-svg', 'class': 'timeline-svg', width: String(width), height: String(height),
      viewBox: '0 0 ' + width + ' ' + height, role: 'img',
      'aria-labelledby': 'timeline-svg-title timeline-caption',
      'data-from': String(win.from), 'data-to': String(win.to),
      'data-price-low': String(lo), 'data-price-high': String(hi)
    });
    root.appendChild(svg('title', { id: 'timeline-svg-title' },
      'Events of ' + account + ' / ' + product + ' around the alert, by time and price'));

    /* detection window */
    var wx = x(win.start), ww = Math.max(2, x(win.end) - wx);
    root.appendChild(svg('rect', { 'class': 'window', x: wx.toFixed(1), y: String(mt),
      width: ww.toFixed(1), height: String(plotH) }));

    /* price axis: grid lines and labels on the left */
    var pticks = root.appendChild(svg('g', { 'class': 'price-ticks' }));
    for (var pv = lo; pv <= hi + pstep / 2; pv += pstep) {
      var py = y(pv).toFixed(1);
      pticks.appendChild(svg('line', { 'class': 'tick price-tick', x1: String(ml), x2: String(width - mr), y1: py, y2: py }));
      pticks.appendChild(svg('text', { 'class': 'tick-label price-label', x: String(ml - 5), y: String(+py + 4),
        'text-anchor': 'end' }, pv.toFixed(pdigits)));
    }
    root.appendChild(svg('text', { 'class': 'axis-title', x: '2', y: '12' }, 'Price'));
    root.appendChild(svg('line', { 'class': 'axis price-axis', x1: String(ml), x2: String(ml),
      y1: String(mt), y2: String(axisY) }));

    /* time axis: ticks, the smallest step giving at most width/95 ticks */
    root.appendChild(svg('line', { 'class': 'axis time-axis', x1: String(ml), x2: String(width - mr),
      y1: String(axisY), y2: String(axisY) }));
    var maxTicks = Math.max(2, Math.floor(plotW / (narrow ? 80 : 95)));
    var stepUs = TICK_STEPS[TICK_STEPS.length - 1];
    for (var s = 0; s < TICK_STEPS.length; s++) {
      if (span / TICK_STEPS[s] <= maxTicks) { stepUs = TICK_STEPS[s]; break; }
    }
    if (span / stepUs > maxTicks) stepUs = Math.ceil(span / maxTicks / 864e8) * 864e8;
    var step = BigInt(stepUs);
    var first = win.from - ((win.from % step) + step) % step;
    if (first < win.from) first += step;
    var digits = stepUs >= 1e6 ? 0 : stepUs >= 1000 ? 3 : 6;
    var ticks = root.appendChild(svg('g', { 'class': 'ticks' }));
    var lastDate = '';
    for (var t = first; t <= win.to; t += step) {
      var tx = x(t).toFixed(1);
      ticks.appendChild(svg('line', { 'class': 'tick', x1: tx, x2: tx, y1: String(mt), y2: String(axisY + 4) }));
      var f = fmtTime(t, digits);
      ticks.appendChild(svg('text', { 'class': 'tick-label', x: tx, y: String(axisY + 16), 'text-anchor': 'middle' }, f.time));
      if (f.date !== lastDate) {
        ticks.appendChild(svg('text', { 'class': 'tick-date', x: tx, y: String(axisY + 30), 'text-anchor': 'middle' }, f.date));
        lastDate = f.date;
      }
    }

    /* markers: larger quantities first, so small markers stay on top */
    var marks = root.appendChild(svg('g', { 'class': 'markers' }));
    var tbody = $('events-body');
    var order = events.map(function (e, i) { return i; });
    var inAlert = function (e) { return recs ? (recs.has(e.recno) ? 1 : 0) : 0; };
    /* the alert's records above the others, then larger quantities first */
    order.sort(function (i, j) {
      return inAlert(events[i]) - inAlert(events[j]) || Number(events[j].qty) - Number(events[i].qty) || i - j;
    });
    var groups = [];
    events.forEach(function (e, i) {
      var mx = x(e.ts), my = y(parseFloat(e.price));
      var cls = EVENT_CLASS[e.type];
      var ft = fmtTime(e.ts, 6);
      var words = ft.date + ' ' + ft.time + ' UTC, ' + e.side + ' ' + EVENT_WORDS[e.type] +
        ', ' + e.qty + ' @ ' + e.price + ' (record ' + e.recno + ')';
      var mine = recs ? recs.has(e.recno) : null;
      var g = svg('g', { 'class': 'marker ' + cls + ' ' + e.side.toLowerCase() +
                           (mine === null ? '' : mine ? ' evidence' : ' context'),
        'data-type': e.type, 'data-side': e.side, 'data-record': String(e.recno),
        'data-price': e.price, 'data-qty': e.qty,
        transform: 'translate(' + mx.toFixed(1) + ',' + my.toFixed(1) + ')' });
      if (mine !== null) g.setAttribute('data-evidence', mine ? 'true' : 'false');
      g.appendChild(svg('title', null, words + (mine ? ', a record of the alert' : '')));
      if (mine) g.appendChild(svg('circle', { 'class': 'evidence-ring', r: (size(e.qty) + 4).toFixed(1) }));
      g.appendChild(shapeFor(cls, size(e.qty)));
      groups[i] = g;

      var tr = el('tr', mine ? { 'class': 'evidence', 'data-record': String(e.recno) } : { 'data-record': String(e.recno) });
      [ft.date + ' ' + ft.time, EVENT_WORDS[e.type], e.side, e.price, e.qty, String(e.recno),
       mine === null ? '?' : mine ? 'yes' : 'no']
        .forEach(function (v) { tr.appendChild(el('td', null, v)); });
      tbody.appendChild(tr);
    });
    order.forEach(function (i) { marks.appendChild(groups[i]); });
    host.appendChild(root);

    var a = fmtTime(win.from, 3), b = fmtTime(win.to, 3);
    var ws = fmtTime(win.start, 3), we = fmtTime(win.end, 3);
    var cap = $('timeline-caption');
    cap.setAttribute('data-count', String(events.length));
    cap.textContent = 'Showing ' + plural(events.length, 'event', 'events') + ' of ' + account + ' / ' +
      product + ' from ' + a.date + ' ' + a.time + ' to ' + (b.date !== a.date ? b.date + ' ' : '') + b.time +
      ' UTC, each at its price (' + lo.toFixed(pdigits) + ' to ' + hi.toFixed(pdigits) +
      ') and sized by its quantity (largest ' + qmax + '). The shaded detection window runs ' + ws.time + '–' + we.time + ' (' +
      (Number(win.end - win.start) / US_PER_S).toFixed(3) + ' s), padded by ' +
      (Number(win.pad) / US_PER_S).toFixed(0) + ' s on each side.' + (recs ? ' Ringed: ' +
      plural(events.filter(function (e) { return recs.has(e.recno); }).length, 'record', 'records') + ' of the alert (of ' +
      recs.size + ' in alerts.json); the other events of ' + account + ' / ' + product + ' are faded.' : '');
  }

  /* ------------------------------------------------------------------ */
  /* Wiring                                                              */

  function init() {
    var memo = getKey();
    $('forget-key').hidden = !memo;
    $('file').addEventListener('change', function (e) {
      chooseFile(e.target.files && e.target.files[0]);
    });
    $('upload-form').addEventListener('submit', function (e) {
      e.preventDefault();
      upload();
    });
    $('key-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var v = $('api-key').value.trim();
      if (!v) { say('Enter the API key first.'); $('api-key').focus(); return; }
      setKey(v);
      $('api-key').value = '';
      refreshRuns(false);
      if (!params.list) loadParams();
      $('key-form').hidden = true;
      var retry = state.pending;
      state.pending = null;
      if (retry) retry();
    });
    $('key-cancel').addEventListener('click', function () {
      $('key-form').hidden = true;
      state.pending = null;
      setState('idle');
      say('No API key entered; nothing was sent.');
      $('file').focus();
    });
    $('forget-key').addEventListener('click', function () {
      setKey('');
      say('The API key was removed from this tab.');
      $('file').focus();
    });
    ['dl-suspicious', 'dl-detections', 'dl-run'].forEach(function (id) {
      $(id).addEventListener('click', download);
    });
    $('type-filter').addEventListener('change', filtersChanged);
    $('text-filter').addEventListener('input', filtersChanged);
    $('page-prev').addEventListener('click', function () { turnPage(-1); });
    $('page-next').addEventListener('click', function () { turnPage(1); });
    /* one listener for every row's Timeline button */
    $('alerts-body').addEventListener('click', function (e) {
      var b = e.target.closest && e.target.closest('button.show-timeline, button.evidence-timeline');
      if (b) { selectAlert(+b.getAttribute('data-index')); return; }
      b = e.target.closest && e.target.closest('button.show-evidence');
      if (b) toggleEvidence(b);
    });
    $('alerts-body').addEventListener('change', function (e) {
      if (e.target.classList && e.target.classList.contains('attach-file')) attachFile(e.target);
    });
    $('only-changes').addEventListener('change', function () {
      filtersChanged();
      say($('alert-count').textContent + '.');
    });
    $('params-form').addEventListener('submit', function (e) {
      e.preventDefault();
      upload(true);
    });
    $('params-form').addEventListener('input', function (e) {
      var t = e.target;
      if (!t.name || !params.byName[t.name]) return;
      markChanged(t);
      if (t.getAttribute('aria-invalid') === 'true' && !paramProblem(t.getAttribute('data-type'), t.value.trim()))
        setFieldError(t.name, '');
    });
    $('params-reset').addEventListener('click', resetParams);
    loadParams();
    $('compress').addEventListener('change', function () { if (state.file) chooseFile(state.file); });
    $('runs-list').addEventListener('click', function (e) {
      var b = e.target.closest && e.target.closest('button.open-run');
      if (b) openRun(b.getAttribute('data-id'));
    });
    $('runs-more').addEventListener('click', function () { refreshRuns(true); });
    $('runs-refresh').addEventListener('click', function () { refreshRuns(false); });
    refreshRuns(false);
    if (!canCompress()) $('compress-field').hidden = true;

    /* Drop anywhere on the page. */
    var dz = $('dropzone');
    var depth = 0;
    document.addEventListener('dragenter', function (e) {
      if (!e.dataTransfer || Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') < 0) return;
      depth++;
      dz.classList.add('dragging');
    });
    document.addEventListener('dragleave', function () {
      depth = Math.max(0, depth - 1);
      if (!depth) dz.classList.remove('dragging');
    });
    document.addEventListener('dragover', function (e) { e.preventDefault(); });
    document.addEventListener('drop', function (e) {
      e.preventDefault();
      depth = 0;
      dz.classList.remove('dragging');
      if (state.busy) return;
      var files = e.dataTransfer && e.dataTransfer.files;
      if (!files || !files.length) return;
      try { $('file').files = files; } catch (err) { /* older browsers */ }
      chooseFile(files[0]);
      $('upload-button').focus();
    });

    var resizeTimer = null;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        if (state.selected >= 0 && !$('timeline').hidden && state.groupCache) selectAlertQuiet();
      }, 200);
    });
    if (document.body.getAttribute('data-state') === 'idle') say('Choose a CSV file to begin.');
  }

  /* Redraw the current timeline after a resize without moving focus. */
  function selectAlertQuiet() {
    var row = rowByIndex(state.selected);
    if (!row || !state.groupCache || !state.groupCache.map || !alertWindow(row)) return;
    drawSelected(row);
  }

  /* Exposed for the browser test's parser checks; no effect on the page. */
  window.ldaPage = { parseCsvText: parseCsvText, parseTimestamp: parseTimestamp, describeLook: describeLook,
                     alertsTiming: function () { return state.alerts && state.alerts.ms || null; } };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
