/* Upload page of the trade-surveillance pipeline (docs/reports.md,
 * docs/api.md).
 *
 * Flow: the analyst picks or drops a CSV; it is posted as multipart/form-data
 * (part "file") to /api/orchestrate with XMLHttpRequest so the upload can show
 * real progress; the JSON answer fills the summary, then the run's
 * suspicious_accounts.csv and detections.csv are fetched and parsed here
 * (RFC 4180) into a sortable, filterable table. Selecting an alert draws an
 * SVG timeline of that account/product's events, read again from the local
 * file with the input rules of docs/input.md. A 401 asks for the API key,
 * which is kept in sessionStorage and sent as X-API-Key on every call.
 * No framework, no build step, no external resource. */
(function () {
  'use strict';

  var KEY_STORE = 'lda-api-key';
  var REQUIRED = ['timestamp', 'account_id', 'product_id', 'side', 'price',
                  'quantity', 'event_type'];
  var US_PER_S = 1000000;
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
    retryTimer: null
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
      var size = state.file ? ' Your file is ' + bytes(state.file.size) + '.' : '';
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
    state.retryTimer = setInterval(function () {
      left--;
      if (left <= 0) {
        clearInterval(state.retryTimer);
        state.retryTimer = null;
        btn.textContent = 'Upload and analyse';
        btn.disabled = !state.file || state.busy;
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

  function chooseFile(f) {
    state.file = f || null;
    var p = $('file-chosen');
    if (f) {
      p.textContent = 'Selected: ' + f.name + ' (' + bytes(f.size) + ')';
      p.hidden = false;
      say('File selected: ' + f.name + '. Press "Upload and analyse" to start.');
    } else {
      p.hidden = true;
    }
    $('upload-button').disabled = !f || state.busy || !!state.retryTimer;
  }

  function setBusy(b) {
    state.busy = b;
    $('upload-button').disabled = b || !state.file || !!state.retryTimer;
    $('file').disabled = b;
    $('upload').setAttribute('aria-busy', b ? 'true' : 'false');
  }

  function resetResults() {
    $('summary').hidden = true;
    $('alerts').hidden = true;
    $('timeline').hidden = true;
    state.run = null;
    state.rows = [];
    state.selected = -1;
  }

  function showProgress(loaded, total) {
    var prog = $('progress');
    prog.max = total > 0 ? total : 1;
    prog.value = Math.min(loaded, prog.max);
    var pct = total > 0 ? Math.floor(100 * loaded / total) : 0;
    $('progress-text').textContent = 'Uploading: ' + bytes(loaded) + ' of ' +
      bytes(total) + ' (' + pct + ' %)';
  }

  function upload() {
    var f = state.file;
    if (!f || state.busy) return;
    hideError();
    $('key-form').hidden = true;
    resetResults();
    state.runFile = f;
    state.groupCache = null;
    setBusy(true);
    setState('uploading');
    $('progress-panel').hidden = false;
    $('progress-label').textContent = 'Upload of ' + f.name;
    showProgress(0, f.size);
    say('Uploading ' + f.name + '…');

    var fd = new FormData();
    fd.append('file', f, f.name);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/orchestrate');
    var k = apiKey();
    if (k) xhr.setRequestHeader('X-API-Key', k);
    xhr.setRequestHeader('Accept', 'application/json');
    var total = f.size;
    var processing = function () {
      if (document.body.getAttribute('data-state') !== 'uploading') return;
      showProgress(total, total);
      $('progress-text').textContent = 'Uploaded ' + bytes(total) + '. Processing on the server…';
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
        askForKey(upload, !!k);
        return;
      }
      if (status < 200 || status >= 300) {
        $('progress-panel').hidden = true;
        explainFailure(status, xhr.responseText, xhr.getResponseHeader('Retry-After'), 'uploading');
        return;
      }
      var body = parseJson(xhr.responseText);
      if (!body || !body.outputs || !body.outputs.suspicious_accounts) {
        $('progress-panel').hidden = true;
        if (body && (body.status === 'failed' || body.error))
          showError('The analysis could not be completed.', serverReason(body) || 'No report was produced.',
                    describeServices(body));
        else
          showError('The server gave an answer this page does not understand.',
            'No result could be shown (HTTP ' + status + ').');
        return;
      }
      received(body);
    };
    xhr.onerror = function () {
      setBusy(false);
      $('progress-panel').hidden = true;
      explainFailure(0, '', null, 'uploading ' + f.name);
    };
    xhr.ontimeout = xhr.onerror;
    xhr.send(fd);
  }

  /* ------------------------------------------------------------------ */
  /* Result                                                              */

  function received(body) {
    state.run = body;
    say('Analysis finished. Loading the alerts…');
    Promise.all([apiGet(body.outputs.suspicious_accounts),
                 body.outputs.detections ? apiGet(body.outputs.detections) : Promise.resolve(null)])
      .then(function (res) {
        var sus = res[0], det = res[1];
        if (sus.status !== 200) {
          explainFailure(sus.status, sus.body, sus.retryAfter, 'loading the alerts');
          return;
        }
        loadReports(sus.body, det && det.status === 200 ? det.body : null);
        showSummary();
        $('progress-panel').hidden = true;
        setState('done');
        var n = state.rows.length;
        say('Done: ' + plural(n, 'alert', 'alerts') + ' found in ' +
            plural(body.event_count || 0, 'event', 'events') + '.');
        $('summary-title').focus();
      }, function () {
        explainFailure(0, '', null, 'loading the alerts');
      });
  }

  function runUrl(name) {
    var id = state.run.request_id;
    if (name === 'suspicious_accounts.csv' && state.run.outputs.suspicious_accounts)
      return state.run.outputs.suspicious_accounts;
    if (name === 'detections.csv' && state.run.outputs.detections)
      return state.run.outputs.detections;
    return '/api/runs/' + encodeURIComponent(id) + '/' + name;
  }

  function showSummary() {
    var r = state.run;
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
    if (!lines.length) {
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
    det.open = false;
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
    state.groupCache = null;
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
    tr.appendChild(el('th', { scope: 'col' }, 'Timeline'));
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
    state.rows.sort(function (ra, rb) {
      var a = sortKey(name, ra.cells[col] || ''), b = sortKey(name, rb.cells[col] || '');
      var c;
      if (a === null || b === null) c = a === null ? (b === null ? 0 : 1) : -1;  /* empty last */
      else c = dir * (typeof a === 'string' || typeof b === 'string' ? cmpText(String(a), String(b)) : (a < b ? -1 : a > b ? 1 : 0));
      return c || ra.index - rb.index;
    });
    renderRows();
    var label = COLUMN_LABELS[name] || name;
    say('Sorted by ' + label + ', ' + state.sortDir + '.');
  }

  function visibleRows() {
    var type = $('type-filter').value;
    var text = $('text-filter').value.trim().toLowerCase();
    var ti = state.header.indexOf('detection_type');
    var ai = state.header.indexOf('account_id');
    var pi = state.header.indexOf('product_id');
    return state.rows.filter(function (r) {
      if (type && r.cells[ti] !== type) return false;
      if (text) {
        var acc = (r.cells[ai] || '').toLowerCase(), prod = (r.cells[pi] || '').toLowerCase();
        if (acc.indexOf(text) < 0 && prod.indexOf(text) < 0) return false;
      }
      return true;
    });
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
    clear(body);
    var rows = visibleRows();
    var ai = state.header.indexOf('account_id');
    var pi = state.header.indexOf('product_id');
    var di = state.header.indexOf('detected_timestamp');
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = el('tr', { 'data-index': String(r.index) });
      if (r.index === state.selected) tr.className = 'selected';
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
      var td = el('td');
      var b = el('button', {
        type: 'button', 'class': 'show-timeline', 'data-index': String(r.index),
        'aria-pressed': r.index === state.selected ? 'true' : 'false',
        'aria-label': 'Timeline of ' + (r.cells[ai] || '') + ' / ' + (r.cells[pi] || '') +
          ' at ' + (r.cells[di] || '')
      }, 'Timeline');
      b.addEventListener('click', function () { selectAlert(r.index); });
      td.appendChild(b);
      tr.appendChild(td);
      frag.appendChild(tr);
    });
    body.appendChild(frag);
    var total = state.rows.length;
    $('alert-count').textContent = rows.length + ' of ' + total + ' alerts';
    $('alerts-empty').hidden = rows.length > 0 || total === 0;
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
        var side = trimBlanks(f[col.side]).toUpperCase();
        if (side !== 'BUY' && side !== 'SELL') return;
        var price = trimBlanks(f[col.price]);
        if (!validPrice(price)) return;
        var qty = trimBlanks(f[col.quantity]);
        if (!validQty(qty)) return;
        var type = trimBlanks(f[col.event_type]).toUpperCase();
        if (!EVENT_CLASS[type]) return;
        if (!found.has(key)) found.set(key, []);
        found.get(key).push({ ts: ts, side: side, price: price, qty: qty.replace(/^\+/, ''),
                              type: type, recno: recno, order: order++ });
      });
      var stream = file.stream().pipeThrough(new TextDecoderStream('utf-8'));
      var rd = stream.getReader();
      (function pump() {
        rd.read().then(function (x) {
          if (x.done || reader.stopped) {
            if (!reader.stopped) reader.end();
            else rd.cancel();
            if (headerError) { reject(new Error(headerError)); return; }
            found.forEach(function (events) {
              events.sort(function (a, b) { return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.order - b.order; });
            });
            resolve(found);
            return;
          }
          reader.push(x.value);
          pump();
        }, reject);
      })();
    });
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
    var row = null;
    state.rows.forEach(function (r) { if (r.index === index) row = r; });
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
    clear($('events-body'));
    if (!win) {
      $('timeline-caption').textContent = 'This alert has no readable time.';
      return;
    }
    var file = state.runFile;
    if (!file) {
      $('timeline-caption').textContent = 'The uploaded file is no longer available in this page; upload it again to see the timeline.';
      return;
    }
    $('timeline-caption').textContent = 'Reading ' + file.name + '…';
    sec.setAttribute('aria-busy', 'true');
    var cache = state.groupCache;
    if (!cache || cache.file !== file) {
      cache = state.groupCache = { file: file, map: null, promise: scanGroups(file, alertGroups()) };
      cache.promise.then(function (map) { cache.map = map; }, function () { /* shown below */ });
    }
    cache.promise.then(function (map) {
      if (state.selected !== index || state.groupCache !== cache) return;
      var events = map.get(groupKey(account, product)) || [];
      var shown = events.filter(function (e) { return e.ts >= win.from && e.ts <= win.to; });
      drawTimeline(chart, shown, win, account, product);
      sec.setAttribute('aria-busy', 'false');
      say('Timeline of ' + account + ' / ' + product + ': ' + plural(shown.length, 'event', 'events') + ' shown.');
      $('timeline-title').focus();
    }, function (err) {
      sec.setAttribute('aria-busy', 'false');
      $('timeline-caption').textContent = 'The timeline cannot be drawn: ' + err.message + '.';
    });
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

  function drawTimeline(host, events, win, account, product) {
    var width = Math.max(300, Math.min(1100, host.clientWidth || 600));
    var narrow = width < 480;
    var ml = narrow ? 40 : 52, mr = 16, mt = 14, mb = 44;
    var laneH = 18, lanes = 3;
    var axisY = mt + lanes * laneH + 16;
    var height = axisY + lanes * laneH + 16 + mb;
    var span = Number(win.to - win.from) || 1;
    var plotW = width - ml - mr;
    var x = function (us) { return ml + plotW * Number(us - win.from) / span; };

    var root = svg('svg', {
      id: 'timeline-svg', 'class': 'timeline-svg', width: String(width), height: String(height),
      viewBox: '0 0 ' + width + ' ' + height, role: 'img',
      'aria-labelledby': 'timeline-svg-title timeline-caption',
      'data-from': String(win.from), 'data-to': String(win.to)
    });
    root.appendChild(svg('title', { id: 'timeline-svg-title' },
      'Events of ' + account + ' / ' + product + ' around the alert'));

    /* detection window */
    var wx = x(win.start), ww = Math.max(2, x(win.end) - wx);
    var winTop = mt - 4, winBottom = axisY + lanes * laneH + 8;
    root.appendChild(svg('rect', { 'class': 'window', x: wx.toFixed(1), y: String(winTop),
      width: ww.toFixed(1), height: String(winBottom - winTop) }));

    /* side labels and axis */
    root.appendChild(svg('text', { 'class': 'side-label', x: '4', y: String(axisY - lanes * laneH / 2) }, 'BUY'));
    root.appendChild(svg('text', { 'class': 'side-label', x: '4', y: String(axisY + lanes * laneH / 2 + 10) }, 'SELL'));
    root.appendChild(svg('line', { 'class': 'axis', x1: String(ml), x2: String(width - mr),
      y1: String(axisY), y2: String(axisY) }));

    /* ticks: the smallest step giving at most width/95 ticks */
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
      var bottom = height - mb;
      ticks.appendChild(svg('line', { 'class': 'tick', x1: tx, x2: tx, y1: String(mt - 4), y2: String(bottom) }));
      var f = fmtTime(t, digits);
      ticks.appendChild(svg('text', { 'class': 'tick-label', x: tx, y: String(bottom + 14), 'text-anchor': 'middle' }, f.time));
      if (f.date !== lastDate) {
        ticks.appendChild(svg('text', { 'class': 'tick-date', x: tx, y: String(bottom + 28), 'text-anchor': 'middle' }, f.date));
        lastDate = f.date;
      }
    }

    /* markers: BUY above, SELL below; close markers are stacked in lanes */
    var lastX = { BUY: [], SELL: [] };
    var marks = root.appendChild(svg('g', { 'class': 'markers' }));
    var tbody = $('events-body');
    events.forEach(function (e) {
      var mx = x(e.ts);
      var lx = lastX[e.side];
      var lane = 0;
      while (lane < lanes - 1 && lx[lane] !== undefined && mx - lx[lane] < 12) lane++;
      lx[lane] = mx;
      var dy = (lane + 1) * laneH - 4;
      var my = e.side === 'BUY' ? axisY - dy : axisY + dy;
      var cls = EVENT_CLASS[e.type];
      var ft = fmtTime(e.ts, 6);
      var words = ft.date + ' ' + ft.time + ' UTC, ' + e.side + ' ' + EVENT_WORDS[e.type] +
        ', ' + e.qty + ' @ ' + e.price + ' (record ' + e.recno + ')';
      var g = svg('g', { 'class': 'marker ' + cls + ' ' + e.side.toLowerCase(),
        'data-type': e.type, 'data-side': e.side, 'data-record': String(e.recno),
        transform: 'translate(' + mx.toFixed(1) + ',' + my.toFixed(1) + ')' });
      g.appendChild(svg('title', null, words));
      if (cls === 'placed') g.appendChild(svg('circle', { 'class': 'shape placed', r: '5' }));
      else if (cls === 'cancelled') g.appendChild(svg('path', { 'class': 'shape cancelled', d: 'M-5,-5L5,5M-5,5L5,-5' }));
      else g.appendChild(svg('path', { 'class': 'shape traded', d: 'M0,-6L6,0L0,6L-6,0Z' }));
      marks.appendChild(g);

      var tr = el('tr');
      [ft.date + ' ' + ft.time, EVENT_WORDS[e.type], e.side, e.price, e.qty, String(e.recno)]
        .forEach(function (v) { tr.appendChild(el('td', null, v)); });
      tbody.appendChild(tr);
    });
    host.appendChild(root);

    var a = fmtTime(win.from, 3), b = fmtTime(win.to, 3);
    var ws = fmtTime(win.start, 3), we = fmtTime(win.end, 3);
    var cap = $('timeline-caption');
    cap.setAttribute('data-count', String(events.length));
    cap.textContent = 'Showing ' + plural(events.length, 'event', 'events') + ' of ' + account + ' / ' +
      product + ' from ' + a.date + ' ' + a.time + ' to ' + (b.date !== a.date ? b.date + ' ' : '') + b.time +
      ' UTC. The shaded detection window runs ' + ws.time + '–' + we.time + ' (' +
      (Number(win.end - win.start) / US_PER_S).toFixed(3) + ' s), padded by ' +
      (Number(win.pad) / US_PER_S).toFixed(0) + ' s on each side.';
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
    $('type-filter').addEventListener('change', renderRows);
    $('text-filter').addEventListener('input', renderRows);

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
    var idx = state.selected, row = null;
    state.rows.forEach(function (r) { if (r.index === idx) row = r; });
    if (!row || !state.groupCache || !state.groupCache.map) return;
    var win = alertWindow(row);
    if (!win) return;
    var h = state.header;
    var chart = $('timeline-chart');
    clear(chart);
    clear($('events-body'));
    var h0 = state.header;
    var events = state.groupCache.map.get(groupKey(row.cells[h0.indexOf('account_id')], row.cells[h0.indexOf('product_id')])) || [];
    var shown = events.filter(function (e) { return e.ts >= win.from && e.ts <= win.to; });
    drawTimeline(chart, shown, win, row.cells[h.indexOf('account_id')], row.cells[h.indexOf('product_id')]);
  }

  /* Exposed for the browser test's parser checks; no effect on the page. */
  window.ldaPage = { parseCsvText: parseCsvText, parseTimestamp: parseTimestamp };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
