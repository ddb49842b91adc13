// The live list of sessions: it asks the admin API for the sessions every
// second and redraws the table; an ended session links to its timeline.
'use strict';
const body = document.querySelector('#sessions tbody');
const status = document.querySelector('#status');

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function draw(list) {
  body.replaceChildren();
  const rows = list.slice().sort((a, b) => b.n - a.n);
  for (const s of rows) {
    const tr = document.createElement('tr');
    const state = s.live ? 'live' : (s.verdict === 'n/a' ? 'na' : s.verdict);
    tr.className = state;
    tr.dataset.id = s.id;
    cell(tr, String(s.n));
    const idCell = cell(tr, '');
    if (s.live) {
      idCell.textContent = s.id;
    } else {
      const a = document.createElement('a');
      a.href = 'sessions/' + encodeURIComponent(s.id) + '/timeline';
      a.textContent = s.id;
      idCell.appendChild(a);
    }
    cell(tr, s.dialect);
    cell(tr, s.path);
    cell(tr, s.scenario || '');
    cell(tr, s.live ? 'live' : (s.not_applicable ? 'n/a: ' + s.not_applicable : s.verdict), 'state');
    cell(tr, (s.failures || []).map(f => f.rule + ' at ' + f.t.toFixed(3) + 's: ' + f.problem).join('\n'), 'findings');
    body.appendChild(tr);
  }
  const live = list.filter(s => s.live).length;
  status.textContent = live + ' live, ' + (list.length - live) + ' ended (the last ones are kept) · updated ' + new Date().toLocaleTimeString();
  status.dataset.live = String(live);
  status.dataset.total = String(list.length);
}

async function poll() {
  try {
    const r = await fetch('sessions', { cache: 'no-store' });
    if (!r.ok) throw new Error(r.status + ' ' + r.statusText);
    draw((await r.json()).sessions);
  } catch (e) {
    status.textContent = 'cannot reach the mock: ' + e.message;
  }
  setTimeout(poll, 1000);
}
poll();
