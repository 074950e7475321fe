// ws63emu report: draws the page's JSON (package htmlreport) with SVG and
// canvas. No network except the lab's own API; no external code.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ws63-data').textContent);
  var app = document.getElementById('app');
  var tip = document.getElementById('tip');
  var NS = 'http://www.w3.org/2000/svg';
  var WS63 = window.WS63 = { data: data, sweeps: [], runs: [] };

  // ---- helpers ----
  function el(tag, attrs) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function sv(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    for (var k in attrs) {
      if (attrs[k] === undefined || attrs[k] === null) continue;
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'on') { for (var ev in attrs.on) e.addEventListener(ev, attrs.on[ev]); }
      else e.setAttribute(k, attrs[k]);
    }
  }
  function add(e, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(e, x); }); return; }
    e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  function hex(n, w) { var s = Number(n).toString(16).toUpperCase(); while (s.length < (w || 6)) s = '0' + s; return '0x' + s; }
  function secs(ns) { return (ns / 1e9).toFixed(3) + ' s'; }
  function fmtT(ns) {
    if (ns >= 1e9) return (ns / 1e9).toFixed(3) + ' s';
    return (ns / 1e6).toFixed(1) + ' ms';
  }
  function commas(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function showTip(ev, text) {
    tip.textContent = text;
    tip.style.display = 'block';
    var x = ev.clientX + 14, y = ev.clientY + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 4) x = ev.clientX - w - 10;
    if (y + h > window.innerHeight - 4) y = ev.clientY - h - 10;
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.style.display = 'none'; }
  var hostWidth = null; // the width of the element being drawn into
  function width(min) { return Math.max(min || 600, Math.min(1340, (hostWidth || app.clientWidth || 1000) - 10)); }

  // ---- colours (every colour also has a text label) ----
  var verdictColour = {
    'upgraded': '#2e7d32', 'kept-old': '#1f6fc5', 'fell-back': '#00897b', 'retries-exhausted': '#e0a100',
    'brick': '#c62828', 'no-boot': '#6a1b9a', 'rollback': '#ef6c00', 'nv-lost': '#ad1457', 'mixed': '#6d4c41',
    'off': '#757575', '': '#757575'
  };
  var spare = ['#455a64', '#8e24aa', '#3949ab', '#00838f', '#9e9d24'];
  function vColour(v) {
    if (!(v in verdictColour)) verdictColour[v] = spare[Object.keys(verdictColour).length % spare.length];
    return verdictColour[v];
  }
  var severity = ['upgraded', 'kept-old', 'off', 'fell-back', 'retries-exhausted', 'mixed', 'rollback', 'nv-lost', 'no-boot', 'brick'];
  function vRank(v) { var i = severity.indexOf(v); return i < 0 ? severity.length : i; }
  var classColour = {
    boot: '#7e57c2', power: '#616161', step: '#b0bec5', store: '#1e88e5', verify: '#00acc1', erase: '#fb8c00',
    write: '#43a047', flag: '#e53935', app: '#8d6e63', other: '#9e9e9e'
  };
  var classText = {
    boot: 'boot (ssb, flashboot)', power: 'power on / reset / power lost', store: 'store (app)', verify: 'verify',
    erase: 'erase', write: 'decode and write', flag: 'flag writes', app: 'app', other: 'other'
  };
  var retryColour = { NOT_STARTED: '#e6e9ec', STARTED: '#f2b705', RETRY: '#ef6c00', FINISHED: '#2e7d32', INVALID: '#c62828' };
  var sectorColour = {
    erasedU: '#ffffff', dataU: '#b8c2cc', erased: '#9fd8f0', written: '#1f5fa8', same: '#7fa7d6', active: '#ffd600'
  };

  function legend(items) {
    return el('div', { class: 'legend' }, items.map(function (it) {
      return el('span', null, el('span', { class: 'sw', style: 'background:' + it[0] }), it[1]);
    }));
  }
  function verdictBadge(v) {
    return el('span', { class: 'badge', style: 'background:' + vColour(v || 'off') }, v || 'off (no verdict: the device is off)');
  }

  // ---- run: cursor model ----
  // A cursor is an operation counter value c: the state after every
  // operation before c, before operation c.
  function RunModel(run) {
    this.run = run;
    this.ops = run.ops || [];
    this.end = run.flash_ops;
  }
  RunModel.prototype.timeAtOp = function (op) {
    var ops = this.ops;
    var lo = 0, hi = ops.length - 1, idx = -1;
    while (lo <= hi) { var m = (lo + hi) >> 1; if (ops[m].op <= op) { idx = m; lo = m + 1; } else hi = m - 1; }
    if (idx < 0) return 0;
    var r = ops[idx];
    if (op < r.op + r.n) return r.n > 1 ? r.t0 + (r.t1 - r.t0) * (op - r.op) / (r.n - 1) : r.t0;
    if (idx + 1 < ops.length) return ops[idx + 1].t0;
    return this.run.sim_ns;
  };
  // opAtTime: the next operation issued at or after simulated time t.
  RunModel.prototype.opAtTime = function (t) {
    var ops = this.ops;
    var lo = 0, hi = ops.length - 1, idx = -1;
    while (lo <= hi) { var m = (lo + hi) >> 1; if (ops[m].t0 <= t) { idx = m; lo = m + 1; } else hi = m - 1; }
    if (idx < 0) return ops.length ? ops[0].op : 0;
    var r = ops[idx];
    if (r.n > 1 && t <= r.t1 && r.t1 > r.t0) return r.op + Math.round((t - r.t0) / (r.t1 - r.t0) * (r.n - 1));
    if (t <= r.t1) return r.op;
    return idx + 1 < ops.length ? ops[idx + 1].op : this.end;
  };
  RunModel.prototype.runAt = function (op) {
    var ops = this.ops, lo = 0, hi = ops.length - 1;
    while (lo <= hi) { var m = (lo + hi) >> 1; if (ops[m].op <= op) { if (op < ops[m].op + ops[m].n) return ops[m]; lo = m + 1; } else hi = m - 1; }
    return null;
  };
  RunModel.prototype.flagAt = function (op) {
    var f = this.run.flag;
    if (!f || !f.states.length) return null;
    var cur = null;
    f.states.forEach(function (s, i) { if (i === 0 || s.op < op) cur = s; });
    return cur;
  };

  // ---- run view ----
  function renderRun(host, run, flash, opts) {
    opts = opts || {};
    var model = new RunModel(run);
    var state = { cursor: model.end, mode: 'after', listeners: [] };
    var api = {
      model: model, run: run, flash: flash, state: state,
      setCursor: function (c, why) {
        state.cursor = Math.max(0, Math.min(model.end, Math.round(c)));
        if (why !== 'keep-mode' && flash && flash.has_before) state.mode = 'cursor';
        state.listeners.forEach(function (f) { f(); });
      },
      onChange: function (f) { state.listeners.push(f); }
    };
    WS63.runs.push(api);

    var sec = el('section', { class: 'run' });
    host.appendChild(sec);
    hostWidth = sec.clientWidth || null;
    sec.appendChild(el('h2', { text: opts.title || ('Run of ' + run.file) }));
    sec.appendChild(el('div', { class: 'facts' },
      el('div', null, 'verdict ', verdictBadge(run.verdict)),
      el('div', null, el('b', { text: 'state ' }), run.state || '—'),
      el('div', null, el('b', { text: 'running ' }), run.running || 'none'),
      el('div', null, el('b', { text: 'boots ' }), String(run.boots)),
      el('div', null, el('b', { text: 'simulated time ' }), secs(run.sim_ns)),
      el('div', null, el('b', { text: 'flash operations ' }), commas(run.flash_ops)),
      el('div', null, el('b', { text: 'expectations ' }), run.passed ? el('span', { class: 'ok', text: 'all hold' }) : el('span', { class: 'fail', text: 'FAILED' }))));
    if (run.failure) sec.appendChild(el('div', { class: 'error', text: run.failure }));
    if (run.cuts.length) {
      sec.appendChild(el('p', null, run.cuts.map(function (c) {
        return el('span', { class: 'fail' }, '⚡ ' + c.msg + ' at ' + fmtT(c.t) + ', boot ' + c.boot + '. ');
      })));
    }
    if (run.expectations.length) {
      var t = el('table', null, el('tr', null, el('th', { text: 'line' }), el('th', { text: 'expect' }), el('th', { text: 'seen' }), el('th', { text: '' })));
      run.expectations.forEach(function (x) {
        t.appendChild(el('tr', null, el('td', { class: 'num', text: x.line }), el('td', { class: 'mono', text: x.expect }), el('td', { class: 'mono', text: x.seen }),
          el('td', null, x.pass ? el('span', { class: 'ok', text: 'ok' }) : el('span', { class: 'fail', text: 'FAIL' }))));
      });
      sec.appendChild(el('details', null, el('summary', { text: 'Expectations (' + run.expectations.length + ')' }), t));
    }
    if (model.ops.length) sec.appendChild(cursorControls(api));
    sec.appendChild(el('h3', { text: 'Upgrade timeline (simulated time)' }));
    sec.appendChild(timeline(api, opts));
    if (run.flag) {
      sec.appendChild(el('h3', { text: 'Flag area (fota end − 0x1000, ' + hex(run.flag.addr) + ', 108 bytes) over time' }));
      sec.appendChild(flagView(api));
    }
    if (flash) {
      sec.appendChild(el('h3', { text: 'Flash map' }));
      sec.appendChild(flashMap(flash, api));
    }
    return api;
  }

  function cursorControls(api) {
    var m = api.model, run = api.run;
    var label = el('span', { class: 'mono' });
    var range = el('input', { type: 'range', min: 0, max: m.end, value: m.end, 'aria-label': 'cursor: flash operation' });
    range.addEventListener('input', function () { api.setCursor(+range.value); });
    function bootStarts() { var s = [0]; run.spans.forEach(function (sp) { if (sp.class === 'boot' && /^boot #/.test(sp.name)) s.push(sp.op0); }); return s; }
    function cmdStarts() { return run.commands.filter(function (c) { return c.dev; }).map(function (c) { return c.op; }); }
    function jump(list, dir) {
      var c = api.state.cursor, best = dir < 0 ? 0 : m.end;
      list.forEach(function (v) { if (dir < 0 && v < c && v > best) best = v; if (dir > 0 && v > c && v < best) best = v; });
      api.setCursor(best);
    }
    function b(text, title, fn) { return el('button', { type: 'button', title: title, text: text, on: { click: fn } }); }
    var box = el('div', { class: 'controls' },
      el('b', { text: 'Cursor' }),
      b('|◀ start', 'the start', function () { api.setCursor(0); }),
      b('◀ boot', 'previous boot', function () { jump(bootStarts(), -1); }),
      b('◀ step', 'previous script command', function () { jump(cmdStarts(), -1); }),
      b('◀ op', 'previous flash operation', function () { api.setCursor(api.state.cursor - 1); }),
      b('op ▶', 'next flash operation', function () { api.setCursor(api.state.cursor + 1); }),
      b('step ▶', 'next script command', function () { jump(cmdStarts(), 1); }),
      b('boot ▶', 'next boot', function () { jump(bootStarts(), 1); }),
      b('end ▶|', 'the end', function () { api.setCursor(m.end); }),
      range, label);
    function upd() {
      var c = api.state.cursor;
      range.value = c;
      var r = m.runAt(c);
      var what = r ? (r.k === 'e' ? 'erase ' : 'program ') + hex(r.a) + ' (' + (r.ph || '—') + ')' : (c >= m.end ? 'end of the run' : 'no flash operation');
      label.textContent = 'before op #' + c + ' · ' + fmtT(m.timeAtOp(c)) + ' · next: ' + what;
    }
    api.onChange(upd);
    upd();
    return box;
  }

  // ---- timeline ----
  // The axis is simulated time; drag across it to zoom (a reset loop of
  // milliseconds after seconds of decompression needs it), "whole run" to
  // come back.
  function timeline(api, opts) {
    var run = api.run, m = api.model;
    var W = width(700), left = 110, right = 12, plotW = W - left - right;
    var T = Math.max(run.sim_ns, 1);
    var view = { a: 0, b: T };
    function X(t) { return left + (t - view.a) / (view.b - view.a) * plotW; }
    function visible(t0, t1) { return t1 >= view.a && t0 <= view.b; }
    var rows = [['boots', 20], ['phases', 22], ['commands', 20], ['flash ops', 24], ['flag writes', 22]];
    var y = 24, rowY = {};
    rows.forEach(function (r) { rowY[r[0]] = y; y += r[1] + 6; });
    var H = y + 4;
    var g = sv('svg', { width: W, height: H, class: 'timeline', role: 'img', 'aria-label': 'upgrade timeline' });
    var layer = sv('g');
    g.appendChild(layer);
    var cur = sv('line', { x1: 0, x2: 0, y1: 16, y2: H, stroke: '#111', 'stroke-width': 1.5, 'pointer-events': 'none' });
    var hover = sv('line', { x1: -10, x2: -10, y1: 16, y2: H, stroke: '#d50000', 'stroke-width': 1, 'pointer-events': 'none', opacity: 0.6 });
    var brush = sv('rect', { x: 0, y: 16, width: 0, height: H - 16, fill: 'rgba(11,92,173,.15)', 'pointer-events': 'none' });
    g.appendChild(cur);
    g.appendChild(hover);
    g.appendChild(brush);
    var boots = {};
    run.spans.forEach(function (sp) {
      if (sp.boot <= 0) return;
      var b = boots[sp.boot] || (boots[sp.boot] = { t0: sp.t0, t1: sp.t1 });
      b.t0 = Math.min(b.t0, sp.t0); b.t1 = Math.max(b.t1, sp.t1);
    });
    function band(row, h, t0, t1, fill, label, tipText, attrs) {
      if (!visible(t0, t1)) return;
      var x0 = Math.max(X(t0), left), x1 = Math.min(X(t1), left + plotW), w = Math.max(x1 - x0, 1.5);
      var rect = sv('rect', Object.assign({ x: x0, y: rowY[row], width: w, height: h, fill: fill }, attrs || {}));
      rect.addEventListener('mousemove', function (ev) { showTip(ev, tipText); });
      rect.addEventListener('mouseleave', hideTip);
      layer.appendChild(rect);
      if (label && w > label.length * 6.5 + 6) {
        layer.appendChild(sv('text', { x: x0 + 3, y: rowY[row] + h / 2 + 4, 'font-size': 11, fill: '#fff', 'pointer-events': 'none', text: label }));
      }
    }
    function draw() {
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      var span = view.b - view.a;
      var step = niceStep(span / 1e9 / 10) * 1e9;
      for (var t = Math.ceil(view.a / step) * step; t <= view.b; t += step) {
        var x = X(t);
        layer.appendChild(sv('line', { x1: x, x2: x, y1: 16, y2: H, stroke: '#e6e9ec' }));
        var lab = span < 2e8 ? (t / 1e6).toFixed(span < 2e6 ? 3 : 1) + ' ms' : (+(t / 1e9).toFixed(3)) + ' s';
        layer.appendChild(sv('text', { x: x, y: 12, 'font-size': 11, 'text-anchor': 'middle', fill: '#5f6b76', text: lab }));
      }
      rows.forEach(function (r) {
        layer.appendChild(sv('text', { x: 4, y: rowY[r[0]] + r[1] / 2 + 4, 'font-size': 12, fill: '#1d2329', text: r[0] }));
      });
      Object.keys(boots).forEach(function (k, i) {
        var b = boots[k];
        band('boots', 20, b.t0, b.t1, i % 2 ? '#9575cd' : '#7e57c2', 'boot ' + k, 'boot ' + k + '\n' + fmtT(b.t0) + ' – ' + fmtT(b.t1));
      });
      run.spans.forEach(function (sp) {
        if (sp.class === 'step') return;
        band('phases', 22, sp.t0, sp.t1, classColour[sp.class] || '#9e9e9e', sp.name,
          sp.name + ' (' + (classText[sp.class] || sp.class) + ')\nboot ' + sp.boot + ', ' + fmtT(sp.t0) + ' – ' + fmtT(sp.t1) +
          ' (' + fmtT(sp.t1 - sp.t0) + ')\n' + sp.ops + ' flash operations from #' + sp.op0, { 'data-class': sp.class });
      });
      var ci = 0;
      run.spans.forEach(function (sp) {
        if (sp.class !== 'step') return;
        band('commands', 20, sp.t0, sp.t1, ci++ % 2 ? '#78909c' : '#90a4ae', sp.name.replace(/^» /, ''), sp.name + '\n' + fmtT(sp.t0) + ' – ' + fmtT(sp.t1));
      });
      m.ops.forEach(function (r) {
        if (!visible(r.t0, r.t1)) return;
        var x0 = Math.max(X(r.t0), left), w = Math.max(Math.min(X(r.t1), left + plotW) - x0, 1);
        layer.appendChild(sv('rect', { x: x0, y: rowY['flash ops'] + (r.k === 'e' ? 0 : 12), width: w, height: 11, fill: r.k === 'e' ? classColour.erase : classColour.write, 'pointer-events': 'none' }));
      });
      if (run.flag) {
        run.flag.states.forEach(function (st, i) {
          if (i === 0 || !visible(st.t, st.t)) return;
          var tk = sv('rect', { x: X(st.t) - 2, y: rowY['flag writes'], width: 4, height: 22, fill: flagColour(st) });
          tk.addEventListener('mousemove', function (ev) { showTip(ev, 'flag write after op #' + st.op + ' at ' + fmtT(st.t) + ', boot ' + st.boot + '\n' + st.what + '\n' + flagSummary(run.flag, st)); });
          tk.addEventListener('mouseleave', hideTip);
          tk.addEventListener('mousedown', function (ev) { ev.stopPropagation(); });
          tk.addEventListener('click', function (ev) { ev.stopPropagation(); api.setCursor(st.op + 1); });
          layer.appendChild(tk);
        });
      }
      run.cuts.forEach(function (c) {
        if (!visible(c.t, c.t)) return;
        var x = X(c.t);
        layer.appendChild(sv('line', { x1: x, x2: x, y1: 16, y2: H, stroke: '#d50000', 'stroke-width': 2, 'stroke-dasharray': '4 2', 'pointer-events': 'none' }));
        layer.appendChild(sv('text', { x: x + 3, y: H - 4, 'font-size': 11, fill: '#d50000', 'font-weight': 600, 'pointer-events': 'none', text: '⚡ cut, op #' + (c.msg.match(/#(\d+)/) || [0, '?'])[1] }));
      });
      upd();
    }
    function upd() {
      var t = m.timeAtOp(api.state.cursor), x = X(t);
      cur.setAttribute('visibility', visible(t, t) ? 'visible' : 'hidden');
      cur.setAttribute('x1', x); cur.setAttribute('x2', x);
    }
    api.onChange(upd);
    function tAt(clientX) {
      var r = g.getBoundingClientRect();
      var x = Math.max(left, Math.min(left + plotW, clientX - r.left));
      return view.a + (x - left) / plotW * (view.b - view.a);
    }
    var drag = null;
    g.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX }; });
    g.addEventListener('mousemove', function (ev) {
      var r = g.getBoundingClientRect(), x = ev.clientX - r.left;
      if (drag && Math.abs(ev.clientX - drag.x) > 6) {
        var x0 = Math.min(drag.x, ev.clientX) - r.left;
        brush.setAttribute('x', x0); brush.setAttribute('width', Math.abs(ev.clientX - drag.x));
      }
      if (opts.onCut) { hover.setAttribute('x1', x); hover.setAttribute('x2', x); }
    });
    g.addEventListener('mouseup', function (ev) {
      var d = drag; drag = null;
      brush.setAttribute('width', 0);
      if (d && Math.abs(ev.clientX - d.x) > 6) {
        var a = tAt(Math.min(d.x, ev.clientX)), b = tAt(Math.max(d.x, ev.clientX));
        if (b - a > 1000) { view.a = a; view.b = b; draw(); }
        return;
      }
      var op = m.opAtTime(tAt(ev.clientX));
      if (opts.onCut && opts.cutMode && opts.cutMode()) opts.onCut(op, tAt(ev.clientX));
      else api.setCursor(op);
    });
    g.addEventListener('mouseleave', function () { drag = null; brush.setAttribute('width', 0); });
    api.timelineXY = function (op) {
      var r = g.getBoundingClientRect();
      return { x: r.left + X(m.timeAtOp(op)), y: r.top + rowY['flash ops'] + 6 };
    };
    api.zoomTime = function (a, b) { view.a = Math.max(0, a); view.b = Math.min(T, b); draw(); };
    draw();
    var tools = el('div', { class: 'controls' },
      el('span', { class: 'muted', text: opts.onCut ? 'Drag across the timeline to zoom; click to cut the power there (or move the cursor, as set above).' : 'Drag across the timeline to zoom; click to move the cursor.' }),
      el('button', { type: 'button', text: 'whole run', on: { click: function () { view.a = 0; view.b = T; draw(); } } }),
      run.cuts.length ? el('button', { type: 'button', text: 'zoom to after the cut', on: { click: function () { var c = run.cuts[run.cuts.length - 1].t; view.a = Math.max(0, c - (T - c) * 0.05); view.b = T; draw(); } } }) : null);
    var leg = [];
    ['boot', 'store', 'verify', 'erase', 'write', 'flag', 'power'].forEach(function (k) { leg.push([classColour[k], classText[k]]); });
    leg.push(['#d50000', '⚡ power cut (dashed line)']);
    return el('div', { class: 'timeline-box' }, legend(leg), tools, el('div', { class: 'scroll' }, g));
  }
  function niceStep(x) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 1e-6))));
    var n = x / p;
    return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * p;
  }

  // ---- flag area ----
  function flagColour(st) {
    if (st.status === 'finished') return retryColour.FINISHED;
    var c = retryColour.NOT_STARTED;
    st.retry.forEach(function (r) { if (r === 'INVALID') c = retryColour.INVALID; else if (r === 'RETRY' && c !== retryColour.INVALID) c = retryColour.RETRY; else if (r === 'STARTED' && c === retryColour.NOT_STARTED) c = retryColour.STARTED; });
    return c === retryColour.NOT_STARTED ? '#5c6bc0' : c;
  }
  function activeRetries(flag, st) {
    var out = [], ri = 0;
    flag.fields.forEach(function (f) {
      if (!f.retry) return;
      var s = st.retry[ri++];
      var bytes = st.hex.substr(f.off * 2, 6);
      if (bytes !== 'ffffff') out.push({ name: f.name, status: s, bytes: bytes.replace(/(..)(?=.)/g, '$1 ') });
    });
    return out;
  }
  function flagSummary(flag, st) {
    var a = activeRetries(flag, st).map(function (r) { return r.name + ' ' + r.bytes + ' ' + r.status; });
    return (a.length ? a.join('\n') + '\n' : '') + 'complete_flag ' + st.status + ', update_result ' + st.result;
  }
  function flagView(api) {
    var flag = api.run.flag, m = api.model;
    var box = el('div', { class: 'flag-box' });
    var cell = 10, W = flag.fields.length ? 108 * cell + 140 : 200;
    // the strip at the cursor
    var strip = sv('svg', { width: W, height: 92, class: 'flagstrip', role: 'img', 'aria-label': 'flag area bytes at the cursor' });
    var head = el('div', { class: 'mono' });
    box.appendChild(head);
    box.appendChild(el('div', { class: 'scroll' }, strip));
    box.appendChild(legend([[retryColour.NOT_STARTED, 'NOT_STARTED (ff ff ff)'], [retryColour.STARTED, 'STARTED'], [retryColour.RETRY, 'RETRY (a failed attempt)'],
      [retryColour.FINISHED, 'FINISHED / complete'], [retryColour.INVALID, 'INVALID (torn)'], ['#5c6bc0', 'other field, programmed'], ['#ffffff', 'other field, 0xFF']]));
    function byteFill(f, st, i) {
      var v = st.hex.substr(i * 2, 2);
      if (f.retry) { var k = 0, idx = 0; flag.fields.forEach(function (g2) { if (g2.retry) { if (g2 === f) idx = k; k++; } }); return retryColour[st.retry[idx]] || '#ccc'; }
      if (f.name === 'complete_flag') return st.status === 'finished' ? retryColour.FINISHED : v === 'ff' ? '#ffffff' : '#f2b705';
      return v === 'ff' ? '#ffffff' : '#5c6bc0';
    }
    function drawStrip(g, st, y, h, labels) {
      flag.fields.forEach(function (f) {
        for (var i = f.off; i < f.off + f.len; i++) {
          g.appendChild(sv('rect', { x: i * cell, y: y, width: cell - 1, height: h, fill: byteFill(f, st, i), stroke: '#c5cbd2', 'stroke-width': 0.5 }));
          if (labels && st.hex.substr(i * 2, 2) !== 'ff') g.appendChild(sv('text', { x: i * cell + cell / 2 - 0.5, y: y + h / 2 + 3, 'font-size': 7, 'text-anchor': 'middle', fill: '#111', class: 'mono', text: st.hex.substr(i * 2, 2) }));
        }
      });
    }
    function drawStripAt(g, st, y, h, c) {
      flag.fields.forEach(function (f) {
        for (var i = f.off; i < f.off + f.len; i++) g.appendChild(sv('rect', { x: i * c, y: y, width: c - 1, height: h, fill: byteFill(f, st, i), stroke: '#c5cbd2', 'stroke-width': 0.4 }));
      });
    }
    function fieldLabels(g, y) {
      flag.fields.forEach(function (f) {
        if (f.retry && f.name.indexOf('firmware_flag') === 0 && +f.name.match(/\d+/)[0] > 3) return;
        g.appendChild(sv('line', { x1: f.off * cell - 0.5, x2: f.off * cell - 0.5, y1: y - 10, y2: y + 2, stroke: '#888' }));
        var name = f.name.replace('firmware_flag', 'fw').replace('head_before_offset', 'before_off').replace('package_length', 'pkg_len').replace('firmware_num', 'fw_num').replace('ver_change_flag', 'ver').replace('update_result', 'result').replace('complete_flag', 'complete').replace('head_end_magic', 'end_magic').replace(/^nv_data_|^nv_hash_/, function (s) { return s.indexOf('hash') > 0 ? 'h_' : 'd_'; });
        g.appendChild(sv('text', { x: f.off * cell + 1, y: y, 'font-size': 8.5, fill: '#333', text: name.length * 5 > f.len * cell + 8 && f.len < 4 ? name.slice(0, Math.max(2, f.len * 2)) : name }));
      });
    }
    function redraw() {
      while (strip.firstChild) strip.removeChild(strip.firstChild);
      var st = m.flagAt(api.state.cursor);
      if (!st) return;
      fieldLabels(strip, 10);
      drawStrip(strip, st, 14, 22, true);
      // status labels under the retry fields that are in use
      var ri = 0, x = 0;
      flag.fields.forEach(function (f) {
        if (!f.retry) return;
        var s = st.retry[ri++];
        if (st.hex.substr(f.off * 2, 6) === 'ffffff') return;
        strip.appendChild(sv('text', { x: f.off * cell, y: 50 + (x++ % 2) * 12, 'font-size': 10.5, 'font-weight': 600, fill: retryColour[s] === retryColour.NOT_STARTED ? '#555' : retryColour[s], text: f.name + ' ' + s }));
      });
      strip.appendChild(sv('text', { x: 0, y: 86, 'font-size': 11, fill: st.status === 'finished' ? retryColour.FINISHED : '#333', text: 'complete_flag: ' + st.status + ' · update_result: ' + st.result }));
      head.textContent = 'At the cursor (after op #' + st.op + ', ' + fmtT(st.t) + ', boot ' + st.boot + '): ' + st.what;
      Array.prototype.forEach.call(hist.querySelectorAll('tr[data-i]'), function (tr) { tr.classList.toggle('cur', flag.states[+tr.getAttribute('data-i')] === st); });
    }
    // the history: one strip per state, top to bottom
    var hc = 7, rowH = 9, HW = 108 * hc + 380;
    var grid = sv('svg', { width: HW, height: flag.states.length * (rowH + 2) + 4, class: 'flaggrid', role: 'img', 'aria-label': 'flag area history' });
    flag.states.forEach(function (st, i) {
      var y = 2 + i * (rowH + 2);
      drawStripAt(grid, st, y, rowH, hc);
      var act = activeRetries(flag, st).filter(function (r) { return r.status !== 'NOT_STARTED'; }).map(function (r) { return r.name.replace('firmware_flag', 'fw') + ' ' + r.status; });
      var label = fmtT(st.t) + '  ' + (act.join(', ') || st.what) + (st.status === 'finished' ? '  · FINISHED ' + st.result : '');
      grid.appendChild(sv('text', { x: 108 * hc + 6, y: y + rowH - 1, 'font-size': 9.5, fill: flagColour(st), 'font-weight': 600, text: label }));
      var hit = sv('rect', { x: 0, y: y, width: HW, height: rowH + 1, fill: 'transparent' });
      hit.addEventListener('mousemove', function (ev) { showTip(ev, 'after op #' + st.op + ' at ' + fmtT(st.t) + ', boot ' + st.boot + '\n' + st.what + '\n' + flagSummary(flag, st)); });
      hit.addEventListener('mouseleave', hideTip);
      hit.addEventListener('click', function () { api.setCursor(st.op + 1); });
      grid.appendChild(hit);
    });
    box.appendChild(el('p', { class: 'muted', text: 'Every state of the flag area, top to bottom (one row of 108 bytes per write that changed it; click a row to move the cursor there):' }));
    box.appendChild(el('div', { class: 'scroll' }, grid));
    var hist = el('table', { class: 'flaghist' }, el('tr', null, el('th', { text: 'after op' }), el('th', { text: 'time' }), el('th', { text: 'boot' }), el('th', { text: 'changed' }), el('th', { text: 'retry bytes in use' }), el('th', { text: 'complete' }), el('th', { text: 'result' })));
    flag.states.forEach(function (st, i) {
      var chips = activeRetries(flag, st).map(function (r) { return el('span', { class: 'chip', style: 'background:' + (r.status === 'NOT_STARTED' ? '#90a4ae' : retryColour[r.status]), text: r.name + ' ' + r.bytes + ' ' + r.status }); });
      var tr = el('tr', { 'data-i': i, on: { click: function () { api.setCursor(st.op + 1); } } },
        el('td', { class: 'num', text: '#' + st.op }), el('td', { class: 'num', text: fmtT(st.t) }), el('td', { class: 'num', text: st.boot }),
        el('td', { class: 'mono', text: st.what }), el('td', null, chips), el('td', { text: st.status }), el('td', { class: 'mono', text: st.result }));
      hist.appendChild(tr);
    });
    box.appendChild(el('details', null, el('summary', { text: 'Flag writes as a table (' + flag.states.length + ' states)' }), hist));
    api.onChange(redraw);
    redraw();
    return box;
  }

  // ---- flash map ----
  var partPalette = ['#6d4c41', '#5e35b1', '#3949ab', '#00897b', '#7cb342', '#f4511e', '#c0ca33', '#8e24aa', '#d81b60', '#546e7a', '#039be5', '#43a047', '#fdd835', '#00acc1', '#ff7043', '#78909c'];
  function flashMap(fv, api) {
    var box = el('div', { class: 'flashmap-box' });
    var SECT = 1024, COLS = 64, cell = 12, gap = 3, barH = 30, top = barH + 22;
    var W = COLS * (cell + gap) + 2, H = top + 16 * (cell + gap) + 4;
    var svg = sv('svg', { width: W, height: H, class: 'flashmap', role: 'img', 'aria-label': 'flash map: 4 MiB, 1024 sectors of 4 KiB' });
    var partOf = new Array(SECT).fill(-1);
    fv.partitions.forEach(function (p, i) {
      if (!p.size) return;
      for (var s = Math.floor(p.off / 4096); s < Math.ceil((p.off + p.size) / 4096) && s < SECT; s++) if (partOf[s] < 0) partOf[s] = i;
    });
    var flagSector = fv.flag_addr >= 0 ? Math.floor(fv.flag_addr / 4096) : -1;
    var modes = fv.has_before ? ['before', 'after', 'cursor'] : ['after'];
    var mode = api && api.state ? api.state : { mode: 'after' };
    var sel = el('div', { class: 'controls' }, el('b', { text: 'Show' }));
    var radios = {};
    modes.forEach(function (k) {
      var r = el('input', { type: 'radio', name: 'fm' + WS63.runs.length + Math.random().toString(36).slice(2, 6), value: k, id: 'fm-' + k + '-' + (WS63.runs.length) });
      r.checked = mode.mode === k;
      r.addEventListener('change', function () { mode.mode = k; redraw(); });
      radios[k] = r;
      sel.appendChild(el('label', null, r, ' ' + ({ before: 'before (at the first power-on)', after: 'after the run', cursor: 'at the cursor' })[k]));
    });
    if (fv.has_before) box.appendChild(sel);
    // the linear bar: 4 MiB to scale
    var groups = [];
    fv.partitions.forEach(function (p, i) {
      var gp = sv('g', { 'data-part': p.name, 'data-id': '0x' + p.id.toString(16) });
      var x = 1 + p.off / 4194304 * (W - 2), w = Math.max(p.size / 4194304 * (W - 2), p.size ? 1 : 0);
      var r = sv('rect', { x: x, y: 2, width: w, height: barH, fill: partPalette[i % partPalette.length], stroke: '#fff' });
      gp.appendChild(r);
      if (w > p.name.length * 6.5 + 4) gp.appendChild(sv('text', { x: x + 3, y: barH / 2 + 6, 'font-size': 11, fill: '#fff', text: p.name }));
      var tt = p.name + ' (id ' + hex(p.id, 2) + ')\n' + hex(p.off) + ' – ' + hex(p.off + p.size - 1) + ', ' + commas(p.size) + ' bytes\n' +
        (fv.has_before ? 'before: ' + (p.before || '—') + '\nafter: ' : '') + p.after;
      r.addEventListener('mousemove', function (ev) { showTip(ev, tt); });
      r.addEventListener('mouseleave', hideTip);
      svg.appendChild(gp);
      groups.push(gp);
    });
    svg.appendChild(sv('text', { x: 1, y: barH + 16, 'font-size': 11, fill: '#5f6b76', text: 'sectors of 4 KiB, 64 per row (256 KiB), address 0x000000 at the top left' }));
    if (fv.flag_addr >= 0) {
      var fx = 1 + fv.flag_addr / 4194304 * (W - 2);
      var fm = sv('rect', { x: fx - 1, y: 0, width: 3, height: barH + 4, fill: '#d50000', class: 'flagmark' });
      fm.addEventListener('mousemove', function (ev) { showTip(ev, 'the flag area: ' + hex(fv.flag_addr) + ', 108 bytes (fota end − 0x1000)'); });
      fm.addEventListener('mouseleave', hideTip);
      svg.appendChild(fm);
      svg.appendChild(sv('text', { x: fx - 4, y: barH + 16, 'font-size': 11, 'text-anchor': 'end', fill: '#d50000', 'font-weight': 600, text: 'flag area ▲' }));
    }
    var rects = [];
    for (var s = 0; s < SECT; s++) {
      var x = 1 + (s % COLS) * (cell + gap), y = top + Math.floor(s / COLS) * (cell + gap);
      var pi = partOf[s];
      if (pi >= 0) groups[pi].appendChild(sv('rect', { x: x - gap / 2 - 0.5, y: y - gap / 2 - 0.5, width: cell + gap + 1, height: cell + gap + 1, fill: partPalette[pi % partPalette.length], 'pointer-events': 'none' }));
      var r = sv('rect', { x: x, y: y, width: cell, height: cell, 'data-sector': s, stroke: 'rgba(0,0,0,.15)', 'stroke-width': 0.5 });
      (pi >= 0 ? groups[pi] : svg).appendChild(r);
      rects.push(r);
      if (s === flagSector) svg.appendChild(sv('text', { x: x + cell / 2, y: y + cell - 3, 'font-size': 10, 'text-anchor': 'middle', fill: '#d50000', 'font-weight': 700, 'pointer-events': 'none', text: 'F' }));
    }
    svg.addEventListener('mousemove', function (ev) {
      var s = ev.target.getAttribute && ev.target.getAttribute('data-sector');
      if (s === null || s === undefined) return;
      showTip(ev, sectorText(+s));
    });
    svg.addEventListener('mouseleave', hideTip);
    function cursorState() {
      // per sector: 0 untouched since the first power-on, 1 erased, 2 programmed; active: being written
      var st = new Array(SECT).fill(0), active = -1, c = api.state.cursor, from = api.run.before_op;
      api.model.ops.forEach(function (r) {
        if (r.op >= c || r.op < from) return;
        var a = Math.floor(r.a / 4096), b = Math.floor((r.a + Math.max(r.l, 1) - 1) / 4096);
        for (var k = a; k <= b && k < SECT; k++) st[k] = r.k === 'e' ? 1 : 2;
      });
      var rr = api.model.runAt(c);
      if (rr) active = Math.floor(rr.a / 4096);
      return { st: st, active: active };
    }
    function fill(s, cs) {
      var m = mode.mode;
      if (m === 'before') return fv.before_used[s] ? sectorColour.dataU : sectorColour.erasedU;
      if (m === 'cursor' && cs) {
        if (s === cs.active) return sectorColour.active;
        if (cs.st[s] === 1) return sectorColour.erased;
        if (cs.st[s] === 2) return sectorColour.written;
        return fv.before_used[s] ? sectorColour.dataU : sectorColour.erasedU;
      }
      if (fv.has_before) {
        if (fv.changed[s] === '1') return fv.after_used[s] ? sectorColour.written : sectorColour.erased;
        if (fv.programs[s]) return sectorColour.same;
        if (fv.erases[s]) return fv.after_used[s] ? sectorColour.same : sectorColour.erased;
      }
      return fv.after_used[s] ? sectorColour.dataU : sectorColour.erasedU;
    }
    function sectorText(s) {
      var pi = partOf[s], p = pi >= 0 ? fv.partitions[pi] : null;
      var t = 'sector ' + s + ': ' + hex(s * 4096) + ' – ' + hex(s * 4096 + 4095) + '\n' + (p ? p.name + ' (id ' + hex(p.id, 2) + '), +' + hex(s * 4096 - p.off, 1) : 'no partition');
      if (s === flagSector) t += '\nthe flag area (fota end − 0x1000)';
      if (fv.has_before) t += '\nbefore: ' + used(fv.before_used[s]) + '\nafter: ' + used(fv.after_used[s]);
      else t += '\n' + used(fv.after_used[s]);
      if (fv.has_before) t += '\nthis run: ' + fv.erases[s] + ' erase op(s), ' + fv.programs[s] + ' program op(s)' + (fv.changed[s] === '1' ? ', bytes CHANGED' : ', bytes unchanged');
      if (p) t += '\n' + (fv.has_before && mode.mode === 'before' ? p.before : p.after);
      return t;
    }
    function used(n) { return n === 0 ? 'erased (all 0xFF)' : n === 4096 ? 'data, no 0xFF byte' : 'data, ' + n + ' of 4096 bytes not 0xFF'; }
    function redraw() {
      var cs = mode.mode === 'cursor' && api && api.model ? cursorState() : null;
      for (var s = 0; s < SECT; s++) {
        rects[s].setAttribute('fill', fill(s, cs));
      }
      Object.keys(radios).forEach(function (k) { radios[k].checked = mode.mode === k; });
    }
    if (api && api.onChange) api.onChange(redraw);
    redraw();
    box.appendChild(el('div', { class: 'scroll' }, svg));
    var items = [[sectorColour.erasedU, 'erased, untouched'], [sectorColour.dataU, 'data, untouched']];
    if (fv.has_before) items.push([sectorColour.erased, 'erased by this run (now erased)'], [sectorColour.written, 'programmed by this run, bytes changed'], [sectorColour.same, 'erased/programmed by this run, same bytes as before'], [sectorColour.active, 'being written at the cursor (cursor view)']);
    items.push(['repeating-linear-gradient(90deg,' + partPalette.slice(0, 4).join(',') + ')', 'frame: the partition (colours as in the bar above)']);
    items.push(['#fff', 'F: the flag area']);
    box.appendChild(legend(items));
    var t = el('table', null, el('tr', null, el('th', { text: '' }), el('th', { text: 'partition' }), el('th', { text: 'id' }), el('th', { text: 'offset' }), el('th', { text: 'size' }), fv.has_before ? el('th', { text: 'before' }) : null, el('th', { text: fv.has_before ? 'after' : 'holds' })));
    fv.partitions.forEach(function (p, i) {
      t.appendChild(el('tr', null, el('td', null, el('span', { class: 'sw', style: 'display:inline-block;width:12px;height:12px;background:' + partPalette[i % partPalette.length] })),
        el('td', { text: p.name }), el('td', { class: 'mono', text: hex(p.id, 2) }), el('td', { class: 'mono', text: hex(p.off) }), el('td', { class: 'num', text: commas(p.size) }),
        fv.has_before ? el('td', { text: p.before || '' }) : null, el('td', { text: p.after })));
    });
    box.appendChild(el('details', null, el('summary', { text: 'Partitions (' + fv.partitions.length + ', layout ' + fv.layout + ')' }), t));
    if (fv.warnings.length) box.appendChild(el('div', { class: 'error', text: 'warnings:\n' + fv.warnings.join('\n') }));
    return box;
  }

  // ---- sweep map ----
  function renderSweep(host, sw, si) {
    var sec = el('section', { class: 'sweep', 'data-sweep': si });
    host.appendChild(sec);
    hostWidth = sec.clientWidth || null;
    sec.appendChild(el('h2', { text: sw.title }));
    var failTxt = sw.fail_total ? el('span', { class: 'fail', text: commas(sw.fail_total) + ' failing' }) : el('span', { class: 'ok', text: 'no failing point' });
    sec.appendChild(el('div', { class: 'facts' },
      el('div', null, el('b', { text: 'cut points ' }), commas(sw.ops) + ' flash operations from #' + sw.first_op + (sw.stride > 1 ? ', every ' + sw.stride + 'th' : '')),
      el('div', null, el('b', { text: 'tears ' }), sw.tears.join(', ')),
      el('div', null, el('b', { text: 'reference (no cut) ' }), sw.reference),
      el('div', null, failTxt)));
    sec.appendChild(legend(sw.counts.map(function (c) { return [vColour(c.verdict), c.verdict + ' ' + commas(c.n) + (c.failing ? ' (' + commas(c.failing) + ' failing)' : '')]; })
      .concat([['#111', '▼ a failing point in the column']])));
    var W = width(600), left = 96, plotW = W - left - 8, bandH = 24, rowH = 30, axisH = 18;
    var H = bandH + 6 + sw.rows.length * (rowH + 4) + axisH;
    var dpr = window.devicePixelRatio || 1;
    var cv = el('canvas', { width: Math.round(W * dpr), height: Math.round(H * dpr), style: 'width:' + W + 'px;height:' + H + 'px', 'aria-label': 'sweep map: cut operation across, one row per tear model, colour and label by verdict' });
    var ctx = cv.getContext('2d');
    ctx.scale(dpr, dpr);
    var view = { from: 0, to: sw.steps }; // steps shown [from, to)
    var failIdx = {}; // model -> sorted failing steps
    sw.failing.forEach(function (f, i) { (failIdx[f.model] = failIdx[f.model] || []).push(i); });
    var controls = el('div', { class: 'controls' },
      el('span', { class: 'muted', text: 'Click a column for its points; drag across the map to zoom.' }),
      el('button', { type: 'button', text: 'reset zoom', on: { click: function () { view.from = 0; view.to = sw.steps; draw(); } } }));
    var detail = el('div', { class: 'detail', 'data-detail': si }, el('span', { class: 'muted', text: 'Click a cell of the map to see its points: verdict, failure, reproduction token, replay command and timeline.' }));
    sec.appendChild(controls);
    sec.appendChild(el('div', { class: 'scroll' }, cv));
    sec.appendChild(detail);
    if (sw.windows.length) sec.appendChild(el('details', null, el('summary', { text: 'Failing windows (' + sw.windows.length + ')' }), el('pre', { text: sw.windows.join('\n') })));
    sec.appendChild(el('details', null, el('summary', { text: 'Summary as ws63emu sweep prints it' }), el('pre', { text: sw.summary })));

    function colStep(x) { return view.from + Math.floor((x - left) / plotW * (view.to - view.from)); }
    function stepX(s) { return left + (s - view.from) / (view.to - view.from) * plotW; }
    function opOf(step) { return sw.first_op + step * sw.stride; }
    function draw() {
      ctx.clearRect(0, 0, W, H);
      ctx.font = '11px system-ui, sans-serif';
      var n = view.to - view.from, cols = Math.min(plotW, n);
      var colW = plotW / cols;
      // phase bands
      ctx.fillStyle = '#1d2329'; ctx.fillText('phase', 4, bandH / 2 + 4);
      sw.phases.forEach(function (b) {
        if (b.to < view.from || b.from >= view.to) return;
        var x0 = Math.max(stepX(b.from), left), x1 = Math.min(stepX(b.to + 1), left + plotW);
        ctx.fillStyle = classColour[b.class] || '#9e9e9e';
        ctx.fillRect(x0, 0, Math.max(x1 - x0, 1), bandH);
        if (x1 - x0 > ctx.measureText(b.name).width + 6) { ctx.fillStyle = '#fff'; ctx.fillText(b.name, x0 + 3, bandH / 2 + 4); }
      });
      sw.rows.forEach(function (row, m) {
        var y = bandH + 6 + m * (rowH + 4);
        ctx.fillStyle = '#1d2329'; ctx.fillText('tear ' + sw.tears[m], 4, y + rowH / 2 + 4);
        var runs = []; // label runs of one verdict
        for (var c = 0; c < cols; c++) {
          var a = view.from + Math.floor(c * n / cols), b = view.from + Math.floor((c + 1) * n / cols);
          if (b <= a) b = a + 1;
          var worst = -1, fail = false, any = false;
          for (var s = a; s < b; s++) {
            var ch = row.charCodeAt(s);
            if (ch === 46) continue;
            any = true;
            var code = (ch - 65) >> 1, f = (ch - 65) & 1;
            if (f) fail = true;
            if (worst < 0 || vRank(sw.verdicts[code]) > vRank(sw.verdicts[worst])) worst = code;
          }
          var x = left + c * colW;
          if (!any) { ctx.fillStyle = '#eceff1'; ctx.fillRect(x, y, colW + 0.5, rowH); runs.push(null); continue; }
          ctx.fillStyle = vColour(sw.verdicts[worst]);
          ctx.fillRect(x, y, colW + 0.5, rowH);
          if (fail) { ctx.fillStyle = '#111'; var tw = Math.min(5, Math.max(colW / 2, 2.5)); ctx.beginPath(); ctx.moveTo(x + colW / 2 - tw, y); ctx.lineTo(x + colW / 2 + tw, y); ctx.lineTo(x + colW / 2, y + 6); ctx.fill(); ctx.fillRect(x, y + rowH - 4, colW + 0.5, 4); }
          runs.push(sw.verdicts[worst] + (fail ? ' ✗' : ''));
        }
        // text labels over runs of the same verdict
        var start = 0;
        for (var c2 = 1; c2 <= runs.length; c2++) {
          if (c2 < runs.length && runs[c2] === runs[start]) continue;
          var lab = runs[start];
          var wpx = (c2 - start) * colW;
          if (lab && wpx > ctx.measureText(lab).width + 8) { ctx.fillStyle = '#fff'; ctx.fillText(lab, left + start * colW + 4, y + rowH / 2 + 4); }
          start = c2;
        }
      });
      // axis
      var ya = bandH + 6 + sw.rows.length * (rowH + 4) + 12;
      ctx.fillStyle = '#5f6b76';
      var ticks = 8;
      for (var i = 0; i <= ticks; i++) {
        var st = view.from + Math.round(i * n / ticks);
        var tx = Math.min(stepX(st), left + plotW - 40);
        ctx.fillText('#' + opOf(Math.min(st, sw.steps - 1)), tx, ya);
      }
      ctx.fillText('cut op', 4, ya);
    }
    draw();
    var drag = null;
    cv.addEventListener('mousedown', function (ev) { drag = { x: ev.offsetX }; });
    cv.addEventListener('mouseup', function (ev) {
      var d = drag; drag = null;
      if (d && Math.abs(ev.offsetX - d.x) > 6 && ev.offsetX > left && d.x > left) {
        var a = colStep(Math.min(d.x, ev.offsetX)), b = colStep(Math.max(d.x, ev.offsetX)) + 1;
        if (b - a >= 2) { view.from = Math.max(0, a); view.to = Math.min(sw.steps, b); draw(); }
        return;
      }
      click(ev.offsetX, ev.offsetY);
    });
    cv.addEventListener('mousemove', function (ev) {
      var hit = cellAt(ev.offsetX, ev.offsetY);
      if (!hit) { hideTip(); return; }
      showTip(ev, 'tear ' + sw.tears[hit.m] + ', ' + (hit.b - hit.a === 1 ? 'op #' + opOf(hit.a) : 'ops #' + opOf(hit.a) + '..#' + opOf(hit.b - 1)) + '\n' + countsText(hit) + '\nclick for details');
    });
    cv.addEventListener('mouseleave', hideTip);
    function cellAt(x, y) {
      if (x < left || x > left + plotW) return null;
      var m = Math.floor((y - bandH - 6) / (rowH + 4));
      if (m < 0 || m >= sw.rows.length) return null;
      var n = view.to - view.from, cols = Math.min(plotW, n);
      var c = Math.floor((x - left) / (plotW / cols));
      var a = view.from + Math.floor(c * n / cols), b = view.from + Math.floor((c + 1) * n / cols);
      if (b <= a) b = a + 1;
      return { m: m, a: a, b: Math.min(b, sw.steps) };
    }
    function countsText(hit) {
      var cnt = {}, row = sw.rows[hit.m];
      for (var s = hit.a; s < hit.b; s++) {
        var ch = row.charCodeAt(s);
        if (ch === 46) { cnt['not run'] = (cnt['not run'] || 0) + 1; continue; }
        var k = sw.verdicts[(ch - 65) >> 1] + ((ch - 65) & 1 ? ' (failing)' : '');
        cnt[k] = (cnt[k] || 0) + 1;
      }
      return Object.keys(cnt).map(function (k) { return k + ': ' + cnt[k]; }).join(', ');
    }
    function phaseAt(step) { for (var i = 0; i < sw.phases.length; i++) if (sw.phases[i].from <= step && step <= sw.phases[i].to) return sw.phases[i].name; return ''; }
    function click(x, y) {
      var hit = cellAt(x, y);
      if (!hit) return;
      while (detail.firstChild) detail.removeChild(detail.firstChild);
      detail.appendChild(el('div', null, el('b', { text: 'tear ' + sw.tears[hit.m] + ', ' + (hit.b - hit.a === 1 ? 'op #' + opOf(hit.a) : 'ops #' + opOf(hit.a) + '..#' + opOf(hit.b - 1)) + ' (' + phaseAt(hit.a) + ')' }), ': ' + countsText(hit)));
      var list = (failIdx[hit.m] || []).filter(function (i) { var f = sw.failing[i]; return f.step >= hit.a && f.step < hit.b; });
      if (!list.length) {
        var row = sw.rows[hit.m], failing = 0;
        for (var s = hit.a; s < hit.b; s++) if (row.charCodeAt(s) !== 46 && ((row.charCodeAt(s) - 65) & 1)) failing++;
        detail.appendChild(el('p', { class: 'muted', text: failing ? failing + ' failing point(s) here are beyond the ' + sw.failing.length + ' listed in this page: run ws63emu sweep to list them.' : 'Every point here passes the script\'s expectations.' }));
        return;
      }
      list.slice(0, 12).forEach(function (i) { detail.appendChild(pointView(sw, sw.failing[i])); });
      if (list.length > 12) detail.appendChild(el('p', { class: 'muted', text: (list.length - 12) + ' more failing points in this column: zoom in to pick one.' }));
    }
    WS63.sweeps[si] = {
      view: view, redraw: draw,
      cellXY: function (step, model) {
        var r = cv.getBoundingClientRect();
        var n = view.to - view.from, cols = Math.min(plotW, n), colW = plotW / cols;
        var c = Math.floor((step - view.from) * cols / n);
        return { x: r.left + left + (c + 0.5) * colW, y: r.top + bandH + 6 + model * (rowH + 4) + rowH / 2 };
      },
      zoom: function (a, b) { view.from = a; view.to = b; draw(); }
    };
  }
  function pointView(sw, f) {
    var box = el('div', { class: 'point', 'data-token': f.token },
      el('div', null, el('b', { text: 'op #' + f.op + ' ' + f.kind + ' ' + hex(f.addr) + '+' + f.len + ' (' + f.phase + '), tear ' + f.tear + ': ' }), verdictBadge(f.verdict), ' after ' + f.boots + ' boots'),
      el('div', { class: 'fail', text: f.failure }),
      el('div', null, 'token ', el('span', { class: 'token', text: f.token })),
      el('div', null, 'replay: ', el('code', { text: "ws63emu replay '" + f.token + "'" })));
    if (f.timeline >= 0 && sw.timelines[f.timeline]) {
      var host = el('div');
      box.appendChild(host);
      renderRun(host, sw.timelines[f.timeline], null, { title: 'Timeline of this point (the script cut there, run plainly)' });
    } else {
      box.appendChild(el('p', { class: 'muted', text: 'Its timeline is not embedded in this page (only the first points of each window are); ws63emu replay --html FILE draws it.' }));
    }
    return box;
  }

  // ---- comparison ----
  function renderCompare(host, cmp) {
    var sec = el('section', { class: 'compare' });
    host.appendChild(sec);
    hostWidth = sec.clientWidth || null;
    sec.appendChild(el('h2', { text: 'Compressed vs AB: the comparison as charts' }));
    var colours = ['#1f6fc5', '#00897b', '#ef6c00', '#6a1b9a'];
    sec.appendChild(legend(cmp.schemes.map(function (s, i) { return [colours[i % colours.length], s]; })));
    var W = width(600), labelW = 300, barW = Math.max(200, W - labelW - 160);
    cmp.metrics.forEach(function (mt) {
      var maxV = Math.max.apply(null, mt.values.map(Math.abs).concat([1e-12]));
      var g = sv('svg', { width: W, height: mt.values.length * 20 + 22, class: 'metric', role: 'img', 'aria-label': mt.name });
      g.appendChild(sv('text', { x: 0, y: 14, 'font-size': 12.5, 'font-weight': 600, fill: '#1d2329', text: mt.name + (mt.unit ? ' (' + mt.unit + ')' : '') + (mt.better ? ' — ' + mt.better + ' is better' : '') }));
      mt.values.forEach(function (v, i) {
        var y = 20 + i * 20, w = mt.text[i] === '—' ? 0 : Math.max(1, v / maxV * barW);
        g.appendChild(sv('text', { x: labelW - 6, y: y + 12, 'font-size': 11.5, 'text-anchor': 'end', fill: '#333', text: cmp.schemes[i] }));
        g.appendChild(sv('rect', { x: labelW, y: y + 2, width: w, height: 14, fill: colours[i % colours.length] }));
        g.appendChild(sv('text', { x: labelW + w + 6, y: y + 13, 'font-size': 11.5, fill: '#111', text: mt.text[i] }));
      });
      sec.appendChild(g);
    });
    if (data.sweeps && data.sweeps.length) {
      sec.appendChild(el('h3', { text: 'Power-cut sweep outcomes (share of cut points)' }));
      var g2 = sv('svg', { width: W, height: data.sweeps.length * 34 + 8, class: 'outcomes', role: 'img', 'aria-label': 'sweep outcomes per scheme' });
      data.sweeps.forEach(function (sw, i) {
        var y = 4 + i * 34, total = 0, x = labelW;
        sw.counts.forEach(function (c) { total += c.n; });
        g2.appendChild(sv('text', { x: labelW - 6, y: y + 17, 'font-size': 11.5, 'text-anchor': 'end', fill: '#333', text: sw.title }));
        sw.counts.forEach(function (c) {
          var w = total ? c.n / total * barW : 0;
          g2.appendChild(sv('rect', { x: x, y: y, width: w, height: 26, fill: vColour(c.verdict) }));
          var lab = c.verdict + ' ' + commas(c.n);
          if (w > lab.length * 6.2 + 6) g2.appendChild(sv('text', { x: x + 4, y: y + 17, 'font-size': 11.5, fill: '#fff', text: lab }));
          x += w;
        });
        g2.appendChild(sv('text', { x: x + 6, y: y + 17, 'font-size': 11.5, fill: '#333', text: sw.counts.map(function (c) { return c.verdict + ' ' + commas(c.n); }).join(', ') }));
      });
      sec.appendChild(g2);
    }
    if (cmp.notes.length) sec.appendChild(el('div', null, cmp.notes.map(function (n) { return el('p', { class: 'muted', text: n }); })));
  }

  // ---- the lab ----
  function renderLab(host, lab) {
    var q = '?token=' + encodeURIComponent(lab.token);
    function call(path, body) {
      return fetch(path + q, body === undefined ? { method: 'GET' } : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok && !j.error) j.error = 'HTTP ' + r.status; return j; }); });
    }
    var grid = el('div', { class: 'lab' });
    host.appendChild(grid);
    var nav = el('nav', null, el('h2', { text: 'Lessons' }));
    var list = el('ul');
    nav.appendChild(list);
    var mainCol = el('div');
    grid.appendChild(nav);
    grid.appendChild(mainCol);
    var title = el('h2', { text: 'Pick a lesson' });
    var about = el('pre', { class: 'about' });
    var ta = el('textarea', { spellcheck: 'false', 'aria-label': 'the lesson script' });
    var tear = el('select', { 'aria-label': 'tear model of a cut' }, [['before', 'tear before (not applied)'], ['after', 'tear after (applied)'], ['prefix', 'tear prefix (16 bytes applied)'], ['bits', 'tear bits (a random subset)']].map(function (t) { return el('option', { value: t[0], text: t[1] }); }));
    var cutMode = el('input', { type: 'checkbox', id: 'cutmode', checked: 'checked' });
    var status = el('div', { class: 'status', 'aria-live': 'polite' });
    var result = el('div', { class: 'result' });
    var current = null, lastRun = null, seq = 0;
    mainCol.appendChild(title);
    mainCol.appendChild(el('details', null, el('summary', { text: 'What this lesson shows' }), about));
    mainCol.appendChild(el('details', { open: 'open' }, el('summary', { text: 'Script (edit and run it again)' }), ta));
    mainCol.appendChild(el('div', { class: 'controls' },
      el('button', { type: 'button', class: 'act', id: 'run', text: '▶ Run the script', on: { click: function () { runScript(); } } }),
      el('label', null, cutMode, ' clicking the timeline cuts the power there (else it moves the cursor)'), tear,
      el('button', { type: 'button', class: 'act', id: 'uncut', text: 'back to the run without the cut', on: { click: function () { if (lastRun) show(lastRun, null, current); } } })));
    mainCol.appendChild(status);
    mainCol.appendChild(result);
    function show(res, cut, lesson) {
      while (result.firstChild) result.removeChild(result.firstChild);
      WS63.runs = [];
      if (res.error) { result.appendChild(el('div', { class: 'error', id: 'lab-error', text: res.error })); return; }
      if (cut) {
        result.appendChild(el('div', { class: 'headline', id: 'lab-verdict', 'data-lesson': lesson, 'data-verdict': res.page.run.verdict || 'off', 'data-op': cut.op },
          '⚡ Power cut at flash op #' + cut.op + ' (' + (res.cut_phase || '') + ', tear ' + cut.tear + ') during line ' + res.cut_line + '; after a power-on: ', verdictBadge(res.page.run.verdict)));
        result.appendChild(el('details', null, el('summary', { text: 'The same cut as a plain script (ws63emu run gives this verdict)' }), el('pre', { id: 'cut-script', text: res.script })));
      } else {
        result.appendChild(el('div', { class: 'headline', id: 'lab-verdict', 'data-lesson': lesson, 'data-verdict': res.page.run.verdict || 'off' }, 'Run without a new cut: ', verdictBadge(res.page.run.verdict), ' — click the timeline to cut the power anywhere.'));
      }
      var api = renderRun(result, res.page.run, res.page.flash, {
        title: cut ? 'After the cut' : 'The lesson as written',
        cutMode: function () { return cutMode.checked && !cut; },
        onCut: cut ? null : function (op) { doCut(op); }
      });
      WS63.lab.api = api;
    }
    function runScript() {
      if (!current) return;
      status.textContent = 'running…';
      var my = ++seq, lesson = current;
      return call('/api/run', { lesson: lesson, script: ta.value }).then(function (res) {
        if (my !== seq) return;
        status.textContent = '';
        if (!res.error) lastRun = res;
        show(res, null, lesson);
      }).catch(function (e) { status.textContent = 'error: ' + e; });
    }
    function doCut(op) {
      status.textContent = 'cutting the power at op #' + op + '…';
      var c = { op: op, tear: tear.value };
      var my = ++seq, lesson = current;
      return call('/api/cut', { lesson: lesson, script: ta.value, op: op, tear: tear.value }).then(function (res) {
        if (my !== seq) return;
        status.textContent = '';
        show(res, c, lesson);
      }).catch(function (e) { status.textContent = 'error: ' + e; });
    }
    function pick(name, li) {
      Array.prototype.forEach.call(list.children, function (x) { x.classList.remove('sel'); });
      if (li) li.classList.add('sel');
      current = name;
      title.textContent = name;
      var my = ++seq;
      return call('/api/lesson', { lesson: name }).then(function (res) {
        if (my !== seq) return;
        if (res.error) { show(res, null, name); return; }
        ta.value = res.script;
        about.textContent = res.about;
        return runScript();
      });
    }
    WS63.lab = { pick: pick, runScript: runScript, cut: doCut, textarea: ta };
    call('/api/lessons').then(function (res) {
      if (res.error) { show(res, null); return; }
      res.lessons.forEach(function (l) {
        var li = el('li', { 'data-lesson': l.name, title: l.about, text: l.name.replace(/\.scn$/, ''), on: { click: function () { pick(l.name, li); } } });
        list.appendChild(li);
      });
      if (res.lessons.length) pick(res.lessons[0].name, list.firstChild);
      WS63.ready = true;
    });
  }

  // ---- page ----
  try {
    if (data.lab) {
      renderLab(app, data.lab);
    } else {
      if (data.run) renderRun(app, data.run, data.flash || null);
      else if (data.flash) { var s = el('section', null, el('h2', { text: 'Flash map' })); app.appendChild(s); s.appendChild(flashMap(data.flash, null)); }
      if (data.compare) renderCompare(app, data.compare);
      (data.sweeps || []).forEach(function (sw, i) { renderSweep(app, sw, i); });
      (data.notes || []).forEach(function (n) { app.appendChild(n.indexOf('\n') >= 0 ? el('pre', { class: 'note', text: n }) : el('p', { class: 'muted', text: n })); });
      WS63.ready = true;
    }
  } catch (e) {
    app.appendChild(el('div', { class: 'error', text: 'The report could not be drawn: ' + e }));
    throw e;
  }
})();
