// The rtmock session timeline. Plain JavaScript, no dependencies, no
// network: the sessions come inline (#rtmock-data) or, when the page is
// served by "rtmock view", from session/N.json on the same origin.
'use strict';
(function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const GUTTER = 132, RIGHT = 14, AXIS = 24;
  const LANES = [
    { id: 'marks', label: 'faults · findings', h: 26 },
    { id: 'client', label: 'client events', h: 30 },
    { id: 'input', label: 'input audio · VAD', h: 56 },
    { id: 'server', label: 'server events', h: 30 },
    { id: 'responses', label: 'responses', h: 24 },
    { id: 'output', label: 'assistant audio', h: 56 },
  ];
  const $ = (s) => document.querySelector(s);
  const data = JSON.parse($('#rtmock-data').textContent);
  const svg = $('#timeline');
  const lane = {};
  let y = AXIS;
  for (const l of LANES) { lane[l.id] = { y: y, h: l.h, label: l.label }; y += l.h; }
  const HEIGHT = y + 2;

  const st = { i: -1, m: null, t0: 0, t1: 1, sel: null, width: 800 };
  window.rtmockTimeline = st; // for tests and the curious: the current session and view (st.render redraws)

  // ---- helpers ----------------------------------------------------------
  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, text, parent, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }
  const plotW = () => Math.max(50, st.width - GUTTER - RIGHT);
  const x = (t) => GUTTER + (t - st.t0) / (st.t1 - st.t0) * plotW();
  const tAt = (px) => st.t0 + (px - GUTTER) / plotW() * (st.t1 - st.t0);
  const visible = (a, b) => b >= st.t0 && a <= st.t1;
  function fmtT(t) {
    const span = st.t1 - st.t0;
    const d = span < 0.05 ? 4 : span < 2 ? 3 : span < 60 ? 2 : 1;
    return t.toFixed(d) + ' s';
  }
  function category(e) {
    if (e.kind === 'fault') return 'fault';
    if (e.kind !== 'text') return 'conn';
    const t = e.type || '';
    if (t === 'error') return 'error';
    if (e.ms) return 'audio';
    if (t.startsWith('input_audio_buffer.')) return 'input';
    if (t.startsWith('response.')) return 'response';
    if (t.startsWith('session.')) return 'session';
    if (t.startsWith('conversation.')) return 'item';
    return 'other';
  }
  function title(node, text) { el('title', {}, node).textContent = text; }

  // ---- sessions -----------------------------------------------------------
  function sessionList() {
    const nav = $('#sessions');
    if (data.sessions.length < 2) return;
    nav.hidden = false;
    data.sessions.forEach((s, i) => {
      const b = h('button', null, nav);
      b.dataset.i = i;
      h('span', s.name, b, s.findings ? 'bad' : '');
      if (s.findings) h('span', ' · ' + s.findings + ' finding' + (s.findings > 1 ? 's' : ''), b, 'muted');
      b.addEventListener('click', () => open(i));
    });
  }
  function open(i) {
    const s = data.sessions[i];
    const got = s.model ? Promise.resolve(s.model) : fetch(data.fetch + i + '.json').then((r) => {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
    return got.then((m) => {
      s.model = m;
      st.i = i; st.m = m; st.sel = null; st.t0 = 0; st.t1 = m.end;
      for (const b of document.querySelectorAll('#sessions button')) b.classList.toggle('cur', +b.dataset.i === i);
      header(); side(); clearDetails(); render();
      document.body.dataset.ready = 'true';
    }).catch((err) => { $('#title').textContent = 'cannot load session ' + s.name + ': ' + err.message; });
  }
  function header() {
    const m = st.m;
    $('#title').textContent = m.name;
    document.title = m.name + ' · rtmock view';
    const meta = $('#meta');
    meta.textContent = '';
    const add = (k, v) => { if (v === undefined || v === '' || v === null) return; const s = h('span', k + ' ', meta); h('b', String(v), s); };
    add('session', m.id); add('dialect', m.dialect); add('provider', m.provider); add('endpoint', m.endpoint);
    add('length', m.end.toFixed(3) + ' s'); add('events', m.events.length);
    add('client audio', m.input ? (m.input.ms / 1000).toFixed(2) + ' s' : 'none');
    add('responses', m.responses.length); add('truncates', m.truncates.length);
    add('faults', m.faults.length); add('findings', m.findings.length);
    add('recorded by', m.recorder); add('created', m.created);
  }
  function side() {
    const m = st.m;
    const f = $('#findings');
    f.textContent = '';
    h('h2', m.findings.length ? 'Rule failures' : 'No rule failures', f);
    if (m.findings.length) {
      const ul = h('ul', null, f);
      m.findings.forEach((x, k) => {
        const li = h('li', null, ul);
        li.dataset.finding = k;
        h('span', x.t.toFixed(3) + ' s ', li, 'muted');
        h('span', x.rule, li, 'rule sev-' + x.severity);
        h('span', ' ' + x.problem, li);
        li.addEventListener('click', () => { center(x.t); select('finding', k); });
      });
    }
    const n = $('#notes');
    n.textContent = '';
    if (m.notes.length) {
      h('h2', 'Notes', n);
      const ul = h('ul', null, n);
      for (const s of m.notes) h('li', s, ul);
    }
    const lg = $('#legend');
    if (!lg.childElementCount) {
      h('h2', 'Legend', lg);
      const items = [['client', 'client event'], ['server', 'server event'], ['audio', 'audio event'], ['err', 'error'],
        ['vad', 'VAD window'], ['barge', 'VAD during playback'], ['played', 'assistant audio heard'], ['unplayed', 'received, not heard'],
        ['completed', 'completed'], ['cancelled', 'cancelled'], ['incomplete', 'incomplete'], ['failed', 'failed'],
        ['trunc', 'truncate'], ['fault', 'fault']];
      for (const [c, t] of items) { const s = h('span', null, lg); h('i', null, s, 'sw-' + c); s.appendChild(document.createTextNode(t)); }
    }
  }

  // ---- rendering ------------------------------------------------------------
  function render() {
    const m = st.m;
    if (!m) return;
    st.width = svg.clientWidth || 800;
    svg.setAttribute('viewBox', '0 0 ' + st.width + ' ' + HEIGHT);
    svg.setAttribute('height', HEIGHT);
    svg.textContent = '';
    svg.dataset.t0 = st.t0; svg.dataset.t1 = st.t1;
    const defs = el('defs', {}, svg);
    const clip = el('clipPath', { id: 'plot-clip' }, defs);
    el('rect', { x: GUTTER, y: 0, width: plotW(), height: HEIGHT }, clip);
    LANES.forEach((l, k) => {
      const ln = lane[l.id];
      el('rect', { class: 'lane-bg' + (k % 2 ? ' alt' : ''), x: 0, y: ln.y, width: st.width, height: ln.h }, svg);
      el('line', { class: 'lane-sep', x1: 0, x2: st.width, y1: ln.y, y2: ln.y }, svg);
      el('text', { class: 'lane-label', x: 6, y: ln.y + ln.h / 2 + 4 }, svg).textContent = l.label;
    });
    el('rect', { id: 'plot', x: GUTTER, y: AXIS, width: plotW(), height: HEIGHT - AXIS - 2, fill: 'none' }, svg);
    const g = el('g', { 'clip-path': 'url(#plot-clip)' }, svg);
    axis(g);
    vadBands(g);
    input(g); vad(g);
    output(g);
    responses(g);
    events(g);
    truncates(g);
    faults(g); findings(g);
    $('#range').textContent = fmtT(st.t0) + ' – ' + fmtT(st.t1);
    if (st.sel) mark(st.sel);
  }
  function axis(g) {
    const span = st.t1 - st.t0;
    const target = span / Math.max(2, plotW() / 90);
    const steps = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    const step = steps.find((s) => s >= target) || 3600;
    const dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    for (let t = Math.ceil(st.t0 / step) * step; t <= st.t1; t += step) {
      const px = x(t);
      el('line', { class: 'tick', x1: px, x2: px, y1: AXIS - 4, y2: HEIGHT }, g);
      el('text', { class: 'tick-label', x: px + 2, y: 14 }, g).textContent = t.toFixed(dec) + ' s';
    }
  }
  function events(g) {
    const m = st.m;
    m.events.forEach((e, i) => {
      if (!visible(e.t, e.t)) return;
      const ln = lane[e.dir === 'client' ? 'client' : 'server'];
      const cat = category(e);
      const small = cat === 'audio';
      const r = el('rect', {
        class: 'ev ' + e.dir + ' cat-' + cat + (e.err ? ' err' : ''), 'data-i': i,
        x: x(e.t) - 1.5, width: 3, y: ln.y + (small ? ln.h * 0.45 : 5), height: small ? ln.h * 0.5 - 5 : ln.h - 10,
      }, g);
      title(r, e.t.toFixed(6) + ' s  ' + e.dir + '  ' + (e.type || e.kind));
    });
  }
  // wave draws each part's peaks as a filled band, one point per pixel
  // column: the highest samples left to right, the lowest back.
  function wave(g, cls, ln, parts) {
    const mid = ln.y + ln.h / 2, amp = (ln.h / 2 - 4) / 128;
    let d = '';
    for (const p of parts) {
      const tr = p.track, n = tr.peaks.length / 2;
      const k0 = Math.max(0, Math.floor(p.a0 / tr.peak_ms)), k1 = Math.min(n, Math.ceil(p.a1 / tr.peak_ms));
      const scale = (p.t1 - p.t0) / Math.max(1e-9, p.a1 - p.a0); // seconds per ms
      const cols = [];
      for (let k = k0; k < k1; k++) {
        const t = p.t0 + (k * tr.peak_ms - p.a0) * scale;
        if (t < st.t0 || t > st.t1) continue;
        const c = Math.round(x(t)), lo = tr.peaks[2 * k], hi = tr.peaks[2 * k + 1];
        const last = cols[cols.length - 1];
        if (last && last[0] === c) { last[1] = Math.min(last[1], lo); last[2] = Math.max(last[2], hi); } else cols.push([c, lo, hi]);
      }
      if (!cols.length) continue;
      const last = cols[cols.length - 1], xe = Math.round(x(Math.min(p.t1, st.t1)));
      if (xe > last[0]) cols.push([xe, last[1], last[2]]); // the last bucket lasts to the part's end
      if (cols.length === 1) cols.push([last[0] + 1, last[1], last[2]]);
      const top = cols.map((c) => c[0] + ' ' + (mid - c[2] * amp - 0.5).toFixed(1));
      const bottom = cols.reverse().map((c) => c[0] + ' ' + (mid - c[1] * amp + 0.5).toFixed(1));
      d += 'M' + top.join('L') + 'L' + bottom.join('L') + 'Z';
    }
    return d ? el('path', { class: 'wave ' + cls, d: d }, g) : null;
  }
  function empty(g, ln, text) { el('text', { class: 'empty', x: GUTTER + 8, y: ln.y + ln.h / 2 + 4 }, g).textContent = text; }
  function input(g) {
    const tr = st.m.input, ln = lane.input;
    if (!tr) { empty(g, ln, 'the client sent no audio'); return; }
    wave(g, 'input', ln, tr.segs.map((s) => ({ track: tr, t0: s.t0, t1: s.t1, a0: s.a0, a1: s.a1 })));
  }
  function vadBands(g) {
    for (const w of st.m.vad) if (visible(w.t0, w.t1)) el('rect', { class: 'vad-band', x: x(w.t0), width: Math.max(1, x(w.t1) - x(w.t0)), y: AXIS, height: HEIGHT - AXIS }, g);
  }
  function vad(g) {
    const ln = lane.input;
    st.m.vad.forEach((w, k) => {
      if (!visible(w.t0, w.t1)) return;
      const r = el('rect', { class: 'vad' + (w.barge ? ' barge' : ''), 'data-vad': k, x: x(w.t0), width: Math.max(2, x(w.t1) - x(w.t0)), y: ln.y + 3, height: ln.h - 6 }, g);
      title(r, 'VAD ' + w.t0.toFixed(3) + '–' + w.t1.toFixed(3) + ' s' + (w.barge ? ' (during assistant audio)' : ''));
    });
  }
  function output(g) {
    const ln = lane.output;
    if (!st.m.items.length) { empty(g, ln, 'no assistant audio'); return; }
    st.m.items.forEach((it, k) => {
      const tEnd = it.t + it.received / 1000, tPlay = it.t + it.played / 1000;
      if (!visible(it.t, tEnd)) return;
      el('rect', { class: 'item recv', x: x(it.t), width: Math.max(1, x(tEnd) - x(it.t)), y: ln.y + 3, height: ln.h - 6 }, g);
      const r = el('rect', { class: 'item', 'data-item': k, x: x(it.t), width: Math.max(1, x(tPlay) - x(it.t)), y: ln.y + 3, height: ln.h - 6 }, g);
      title(r, it.id + ': ' + it.played.toFixed(0) + ' of ' + it.received.toFixed(0) + ' ms heard');
    });
    const played = [], unplayed = [];
    for (const it of st.m.items) {
      if (it.played > 0) played.push({ track: it.track, t0: it.t, t1: it.t + it.played / 1000, a0: 0, a1: it.played });
      if (it.received > it.played) unplayed.push({ track: it.track, t0: it.t + it.played / 1000, t1: it.t + it.received / 1000, a0: it.played, a1: it.received });
    }
    for (const p of [wave(g, 'played', ln, played), wave(g, 'unplayed', ln, unplayed)]) if (p) p.setAttribute('pointer-events', 'none');
  }
  function responses(g) {
    const ln = lane.responses;
    st.m.responses.forEach((r, k) => {
      if (!visible(r.t0, r.t1)) return;
      const status = r.status || 'open';
      const w = Math.max(2, x(r.t1) - x(r.t0));
      const b = el('rect', { class: 'resp status-' + status, 'data-resp': k, 'data-status': status, x: x(r.t0), width: w, y: ln.y + 4, height: ln.h - 8, rx: 2 }, g);
      title(b, r.id + ' ' + status + (r.reason ? ' (' + r.reason + ')' : ''));
      if (w > 70) el('text', { class: 'resp-label', x: Math.max(x(r.t0), GUTTER) + 4, y: ln.y + ln.h / 2 + 3.5 }, g).textContent = status + (r.reason ? ' · ' + r.reason : '');
    });
  }
  function truncates(g) {
    const c = lane.client, o = lane.output;
    st.m.truncates.forEach((tr, k) => {
      const xa = x(tr.t);
      el('line', { class: 'trunc-line', x1: xa, x2: xa, y1: c.y + c.h, y2: tr.cut_t >= 0 ? o.y : HEIGHT }, g);
      const a = el('path', { class: 'trunc-at', id: 'trunc-' + k, 'data-trunc': k, 'data-t': tr.t, d: 'M' + (xa - 6) + ' ' + (c.y + 2) + 'h12l-6 9z' }, g);
      title(a, 'truncate at ' + tr.t.toFixed(3) + ' s: audio_end_ms ' + tr.end_ms);
      if (tr.cut_t < 0) return;
      const xc = x(tr.cut_t);
      el('line', { class: 'trunc-line', x1: xa, x2: xc, y1: o.y, y2: o.y + 2 }, g);
      el('line', { class: 'trunc-cut-line', x1: xc, x2: xc, y1: o.y + 2, y2: o.y + o.h - 2 }, g);
      const cdot = el('path', { class: 'trunc-cut', id: 'trunc-cut-' + k, 'data-trunc': k, 'data-t': tr.cut_t, d: 'M' + (xc - 5) + ' ' + (o.y + o.h) + 'l5 -8l5 8z' }, g);
      title(cdot, 'cut at ' + tr.end_ms + ' ms of the item (played ' + tr.played_ms.toFixed(0) + ' ms when truncated)');
      el('text', { class: 'trunc-label', x: xc + 4, y: o.y + 12 }, g).textContent = tr.end_ms + ' ms';
    });
  }
  function faults(g) {
    const ln = lane.marks;
    st.m.faults.forEach((f, k) => {
      const px = x(f.t);
      el('line', { class: 'fault-line', x1: px, x2: px, y1: ln.y + ln.h, y2: HEIGHT }, g);
      const p = el('path', { class: 'fault', 'data-fault': k, 'data-t': f.t, d: 'M' + (px - 6) + ' ' + (ln.y + ln.h - 3) + 'l6 -11l6 11z' }, g);
      title(p, f.kind + ': ' + f.text);
    });
  }
  function findings(g) {
    const ln = lane.marks;
    st.m.findings.forEach((f, k) => {
      const px = x(f.t), sev = 'sev-' + f.severity;
      el('line', { class: 'finding-line ' + sev, x1: px, x2: px, y1: ln.y + 4, y2: HEIGHT }, g);
      const p = el('path', { class: 'finding ' + sev, 'data-finding': k, 'data-t': f.t, d: 'M' + px + ' ' + (ln.y + 3) + 'h9l-3 4l3 4h-9z' }, g);
      title(p, f.rule + ' at ' + f.t.toFixed(3) + ' s: ' + f.problem);
      el('text', { class: 'finding-label', x: px + 11, y: ln.y + 11 }, g).textContent = f.rule;
    });
  }

  // ---- selection and details -----------------------------------------------
  const ATTR = { event: 'data-i', vad: 'data-vad', item: 'data-item', response: 'data-resp', truncate: 'data-trunc', fault: 'data-fault', finding: 'data-finding' };
  // One click handler for every mark: the element says what it is.
  svg.addEventListener('click', (e) => {
    for (const kind in ATTR) {
      const m = e.target.closest && e.target.closest('[' + ATTR[kind] + ']');
      if (m && svg.contains(m)) { select(kind, +m.getAttribute(ATTR[kind])); return; }
    }
  });
  function mark(sel) {
    for (const e of svg.querySelectorAll('.sel')) e.classList.remove('sel');
    for (const e of svg.querySelectorAll('[' + ATTR[sel.kind] + '="' + sel.k + '"]')) e.classList.add('sel');
  }
  function clearDetails() {
    $('#d-title').textContent = 'Details';
    $('#d-hint').hidden = false;
    $('#d-fields').textContent = ''; $('#d-actions').textContent = '';
    $('#json').hidden = true; $('#json').textContent = '';
  }
  function show(titleText, fields, json, actions) {
    $('#d-title').textContent = titleText;
    $('#d-hint').hidden = true;
    const dl = $('#d-fields');
    dl.textContent = '';
    for (const [k, v] of fields) { if (v === undefined || v === '' || v === null) continue; h('dt', k, dl); h('dd', String(v), dl); }
    const act = $('#d-actions');
    act.textContent = '';
    for (const [label, fn] of actions || []) { const b = h('button', label, act); b.addEventListener('click', fn); }
    const pre = $('#json');
    pre.hidden = json === undefined;
    pre.textContent = json === undefined ? '' : pretty(json);
  }
  function pretty(s) { try { return JSON.stringify(JSON.parse(s), null, 2); } catch (e) { return s; } }
  function select(kind, k) {
    if (dragged) return; // the end of a drag is no click
    st.sel = { kind: kind, k: k };
    mark(st.sel);
    DETAILS[kind](k);
  }
  const ms = (v) => v < 0 ? 'n/a' : v.toFixed(0) + ' ms';
  const DETAILS = {
    event(i) {
      const e = st.m.events[i];
      const acts = [];
      const it = st.m.items.find((x) => x.id === e.item);
      if (it) acts.push(['play item (as heard)', () => playItem(it)]);
      show((e.type || e.kind) + ' · ' + e.dir, [['time', e.t.toFixed(6) + ' s'], ['line', e.line], ['event_id', e.id], ['item', e.item], ['response', e.resp], ['audio', e.ms ? e.ms.toFixed(1) + ' ms' : '']], e.json, acts);
    },
    vad(k) {
      const w = st.m.vad[k];
      show('VAD window', [['speech_started', w.t0.toFixed(3) + ' s (audio_start_ms ' + w.start_ms + ')'],
        ['speech_stopped', w.stop < 0 ? 'never' : w.t1.toFixed(3) + ' s (audio_end_ms ' + w.end_ms + ')'], ['item', w.item],
        ['during assistant audio', w.barge ? 'yes (barge-in)' : 'no']], st.m.events[w.start].json,
      st.m.input ? [['play input audio of this window', () => playInput(w.t0, w.t1, 'VAD window')]] : []);
    },
    item(k) {
      const it = st.m.items[k];
      show('assistant item ' + it.id, [['first delta', it.t.toFixed(3) + ' s'], ['received', ms(it.received) + ' in ' + it.deltas + ' deltas'],
        ['heard', ms(it.played) + (it.cut >= 0 ? ' (cut by a truncate)' : '')], ['response', it.resp + (it.status ? ' (' + it.status + ')' : '')],
        ['format', it.track.format + ' ' + it.track.rate + ' Hz'], ['transcript', it.transcript]], undefined,
      [['play as heard', () => playItem(it)], ['play all received', () => play([{ track: it.track, a0: 0, a1: it.received, t: it.t }], 'received audio of ' + it.id)]]);
    },
    response(k) {
      const r = st.m.responses[k];
      const its = st.m.items.filter((x) => x.resp === r.id);
      show('response ' + r.id, [['created', r.created < 0 ? 'not seen' : r.t0.toFixed(3) + ' s'], ['done', r.done < 0 ? 'never' : r.t1.toFixed(3) + ' s'],
        ['status', r.status || 'in progress'], ['reason', r.reason], ['items', (r.items || []).join(', ')]],
      r.done >= 0 ? st.m.events[r.done].json : (r.created >= 0 ? st.m.events[r.created].json : undefined),
      its.length ? [['play its audio (as heard)', () => play(its.map((it) => ({ track: it.track, a0: 0, a1: it.played, t: it.t })), 'response ' + r.id)]] : []);
    },
    truncate(k) {
      const tr = st.m.truncates[k];
      const it = st.m.items.find((x) => x.id === tr.item);
      show('truncate of ' + tr.item, [['sent', tr.t.toFixed(6) + ' s'], ['audio_end_ms', tr.end_ms],
        ['cut on the time axis', tr.cut_t < 0 ? 'unknown item' : tr.cut_t.toFixed(3) + ' s'],
        ['played when sent', ms(tr.played_ms) + ' (of ' + ms(tr.recv_ms) + ' received)'],
        ['answer', tr.answer < 0 ? 'none' : (st.m.events[tr.answer].type + ' at ' + st.m.events[tr.answer].t.toFixed(3) + ' s')]],
      st.m.events[tr.ev].json, it ? [['play item up to the cut', () => playItem(it)]] : []);
    },
    fault(k) {
      const f = st.m.faults[k];
      show('fault: ' + f.kind, [['time', f.t.toFixed(6) + ' s'], ['what', f.text], ['line', st.m.events[f.ev].line]], st.m.events[f.ev].json);
    },
    finding(k) {
      const f = st.m.findings[k];
      const fields = [['rule', f.rule], ['severity', f.severity], ['at', f.t.toFixed(6) + ' s'], ['problem', f.problem], ['expected', f.want]];
      (f.frames || []).forEach((q, j) => fields.push(['frame ' + (j + 1), q.t.toFixed(3) + ' s ' + q.dir + ' ' + q.frame]));
      show('rule failure ' + f.rule, fields);
    },
  };

  // ---- audio ----------------------------------------------------------------
  let actx = null, source = null, head = null;
  const ULAW = new Float32Array(256);
  for (let u = 0; u < 256; u++) {
    const v = ~u & 0xff, e = (v >> 4) & 7, mant = v & 15;
    const s = (((mant << 3) + 0x84) << e) - 0x84;
    ULAW[u] = (v & 0x80 ? -s : s) / 32768;
  }
  function pcm(track) {
    if (!track._pcm) {
      const bin = atob(track.audio);
      const out = new Float32Array(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = ULAW[bin.charCodeAt(i)];
      track._pcm = out;
    }
    return track._pcm;
  }
  function status(text, attrs) {
    const s = $('#play-status');
    s.textContent = text;
    for (const k of ['samples', 'rate', 'peak']) delete s.dataset[k];
    Object.assign(s.dataset, attrs || {});
  }
  function stop() {
    if (source) { source.onended = null; try { source.stop(); } catch (e) { /* already stopped */ } source = null; }
    if (head) { cancelAnimationFrame(head); head = null; }
    const ph = svg.querySelector('.playhead');
    if (ph) ph.remove();
  }
  // play plays parts [{track, a0, a1 (ms of the track), t (time of a0)}] in turn.
  function play(parts, label) {
    stop();
    parts = parts.filter((p) => p.a1 > p.a0);
    if (!parts.length) { status('nothing to play'); return; }
    if (parts.some((p) => !p.track.audio)) { status('this audio is drawn but was left out of the page (--max-audio)'); return; }
    const rate = parts[0].track.rate;
    let n = 0;
    const cuts = parts.filter((p) => p.track.rate === rate).map((p) => {
      const s = pcm(p.track), i0 = Math.round(p.a0 * rate / 1000), i1 = Math.min(s.length, Math.round(p.a1 * rate / 1000));
      n += Math.max(0, i1 - i0);
      return s.subarray(i0, Math.max(i0, i1));
    });
    if (!n) { status('nothing to play'); return; }
    actx = actx || new AudioContext();
    const buf = actx.createBuffer(1, n, rate);
    const ch = buf.getChannelData(0);
    let off = 0, peak = 0;
    for (const c of cuts) { ch.set(c, off); off += c.length; }
    for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(ch[i]));
    source = actx.createBufferSource();
    source.buffer = buf;
    source.connect(actx.destination);
    source.onended = () => { status('played ' + label); stop(); };
    status('playing ' + label + ': ' + (n / rate).toFixed(3) + ' s, ' + n + ' samples at ' + rate + ' Hz', { samples: n, rate: rate, peak: peak.toFixed(4) });
    const started = actx.currentTime, t0 = parts[0].t;
    source.start();
    const tick = () => {
      const t = t0 + (actx.currentTime - started);
      let ph = svg.querySelector('.playhead');
      if (!ph) ph = el('line', { class: 'playhead', y1: AXIS, y2: HEIGHT }, svg);
      ph.setAttribute('x1', x(t)); ph.setAttribute('x2', x(t));
      head = requestAnimationFrame(tick);
    };
    head = requestAnimationFrame(tick);
  }
  function playItem(it) { play([{ track: it.track, a0: 0, a1: it.played, t: it.t }], 'item ' + it.id + ' as heard'); }
  function playInput(t0, t1, label) {
    const tr = st.m.input;
    let a0 = -1, a1 = -1, start = t0;
    for (const s of tr.segs) {
      if (s.t1 < t0 || s.t0 > t1) continue;
      const f = (t) => s.a0 + (Math.min(Math.max(t, s.t0), s.t1) - s.t0) / Math.max(1e-9, s.t1 - s.t0) * (s.a1 - s.a0);
      if (a0 < 0) { a0 = f(t0); start = Math.max(t0, s.t0); }
      a1 = f(t1);
    }
    play(a0 < 0 ? [] : [{ track: tr, a0: a0, a1: a1, t: start }], label);
  }

  // ---- zoom and pan -----------------------------------------------------------
  function setView(t0, t1) {
    const end = st.m.end, minSpan = 0.0005;
    let span = Math.min(Math.max(t1 - t0, minSpan), end);
    t0 = Math.min(Math.max(t0, 0), Math.max(0, end - span));
    st.t0 = t0; st.t1 = t0 + span;
    render();
  }
  function zoom(f, at) {
    const span = st.t1 - st.t0;
    if (at === undefined) at = st.t0 + span / 2;
    const r = (at - st.t0) / span;
    const ns = span * f;
    setView(at - r * ns, at - r * ns + ns);
  }
  function center(t) {
    const span = Math.min(st.t1 - st.t0, Math.max(1, st.m.end / 10));
    setView(t - span / 2, t + span / 2);
  }
  $('#zoom-in').addEventListener('click', () => zoom(0.5));
  $('#zoom-out').addEventListener('click', () => zoom(2));
  $('#zoom-fit').addEventListener('click', () => setView(0, st.m.end));
  svg.addEventListener('wheel', (e) => {
    if (!st.m) return;
    e.preventDefault();
    const px = e.offsetX * st.width / (svg.clientWidth || st.width);
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      const dt = (e.deltaX || e.deltaY) / plotW() * (st.t1 - st.t0);
      setView(st.t0 + dt, st.t1 + dt);
    } else {
      zoom(Math.exp(e.deltaY * 0.0015), tAt(px));
    }
  }, { passive: false });
  let drag = null, dragged = false;
  svg.addEventListener('pointerdown', (e) => {
    if (!st.m || e.button !== 0) return;
    drag = { x: e.clientX, t0: st.t0, t1: st.t1, moved: false, id: e.pointerId };
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (!drag.moved && Math.abs(dx) < 4) return;
    if (!drag.moved) { drag.moved = true; svg.setPointerCapture(drag.id); svg.classList.add('dragging'); }
    const dt = -dx / plotW() * (drag.t1 - drag.t0);
    setView(drag.t0 + dt, drag.t1 + dt);
  });
  const endDrag = () => {
    if (drag && drag.moved) {
      svg.classList.remove('dragging');
      dragged = true;
      setTimeout(() => { dragged = false; }, 0);
    }
    drag = null;
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  document.addEventListener('keydown', (e) => {
    if (!st.m || e.target.closest && e.target.closest('input,textarea')) return;
    const span = st.t1 - st.t0;
    const keys = { '+': () => zoom(0.5), '=': () => zoom(0.5), '-': () => zoom(2), '0': () => setView(0, st.m.end),
      ArrowLeft: () => setView(st.t0 - span / 5, st.t1 - span / 5), ArrowRight: () => setView(st.t0 + span / 5, st.t1 + span / 5), Escape: stop };
    if (keys[e.key]) { keys[e.key](); e.preventDefault(); }
  });
  window.addEventListener('resize', render);
  st.render = render;

  sessionList();
  if (data.sessions.length) open(0);
  else $('#title').textContent = 'no sessions';
})();
