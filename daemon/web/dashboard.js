// mdclusterd dashboard: renders the status pushed on the watch websocket (hello, event, status
// messages; daemon/src/status/server.ts). Read-only: it sends nothing but the websocket handshake.
// Everything from the feed goes into the page as text (never as HTML).
/* global document, location, WebSocket, Node */
'use strict';
(function () {
  const FEED_SILENCE_MS = 3000; // the server pushes every 500 ms; this much silence is a lost feed
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 5000;
  const TIMELINE_WINDOW_MS = 10 * 60 * 1000;
  const BAD_EVENTS = new Set(['Fail', 'FailSpare', 'DegradedArray', 'DeviceDisappeared', 'NodeDown', 'QuorumLost', 'DegradedAtBoot', 'DemoteFailed', 'FenceRan']);

  let ws = null;
  let lastMessageMs = 0;
  let lastStatusWallMs = 0;
  let reconnectMs = RECONNECT_MIN_MS;
  let live = false;

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else if (k === 'css') Object.assign(e.style, v); // CSSOM, allowed by the page's CSP (style attributes are not)
      else e.setAttribute(k, String(v));
    }
    for (const c of children || []) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const $ = (id) => document.getElementById(id);
  const clock = (ms) => new Date(ms).toLocaleTimeString();
  const mib = (sectors) => (sectors / 2048).toFixed(0);

  function setBanner(state, text) {
    const b = $('banner');
    b.dataset.feed = state;
    b.className = 'banner ' + (state === 'live' ? 'live' : 'lost');
    b.textContent = text;
  }

  function render(s) {
    lastStatusWallMs = Date.now();
    document.title = `mdclusterd: ${s.master ? 'master ' + s.master : 'NO MASTER'}`;
    $('self').textContent = s.node;
    $('master').textContent = s.master || 'none';
    $('master').dataset.master = s.master || '';
    $('term').textContent = s.term;
    $('applied').textContent = `${s.appliedIndex} (commit ${s.commitIndex})`;
    $('lease').textContent = s.role === 'leader' && s.lease ? (s.lease.valid ? `valid, ${s.leaseRemainingTicks} ticks left` : 'expired') : `held by ${s.leader || 'nobody'}`;
    // A section is rebuilt only when its data changed (pushes come every 500 ms).
    once('nodes', [s.node, s.nodes], () => renderNodes(s));
    once('arrays', [s.node, s.nodes, s.arrays], () => renderArrays(s));
    once('timeline', [s.node, s.writerLog, Math.floor(Date.now() / 5000)], () => renderTimeline(s));
    once('events', s.events, () => renderEvents(s));
  }

  const lastShown = new Map();
  function once(section, data, draw) {
    const key = JSON.stringify(data);
    if (lastShown.get(section) === key) return;
    lastShown.set(section, key);
    draw();
  }

  function renderNodes(s) {
    const body = $('nodes').tBodies[0];
    body.replaceChildren(...s.nodes.map((n) => el('tr', { 'data-node': n.id, 'data-up': n.healthy ? '1' : '0', 'data-role': n.role, class: n.healthy ? '' : 'node-down' }, [
      el('td', {}, [n.id + (n.id === s.node ? ' (this page)' : '')]),
      el('td', {}, [n.address]),
      el('td', { class: n.healthy ? 'up' : 'down' }, [n.healthy ? 'up' : 'DOWN']),
      el('td', { class: n.role === 'master' ? 'role-master' : '' }, [n.role]),
      el('td', {}, [n.appliedIndex === null ? '–' : n.appliedIndex]),
    ])));
  }

  function renderArrays(s) {
    const box = $('arrays');
    if (s.arrays.length === 0) { box.replaceChildren(el('p', { class: 'muted' }, ['no arrays'])); return; }
    box.replaceChildren(...s.arrays.map((a) => {
      const head = el('h3', {}, [`${a.device} `, el('span', { class: 'muted' }, [`${a.level}, ${a.raidDisks} disks, ${a.sizeKiB ? mib(a.sizeKiB * 2) + ' MiB' : 'size unknown'} `]),
        el('span', { class: 'state-' + a.state, 'data-array-state': a.state }, [a.state]),
        el('span', { class: 'muted' }, [a.writableOn ? ` — writable on ${a.writableOn}` : ' — writable nowhere'])]);
      const table = el('table', { class: 'members' }, [
        el('thead', {}, [el('tr', {}, [el('th', {}, ['member']), el('th', {}, ['cluster state']), ...s.nodes.map((n) => el('th', {}, [n.id]))])]),
        el('tbody', {}, a.members.map((m) => el('tr', { 'data-member': m.device }, [
          el('td', {}, [m.device, el('span', { class: 'muted' }, [typeof m.role === 'number' ? ` slot ${m.role}` : ''])]),
          el('td', { class: 'member m-' + m.state, 'data-state': m.state }, [m.state]),
          ...s.nodes.map((n) => n.healthy
            ? el('td', { class: 'member m-' + m.state, 'data-node': n.id, 'data-state': m.state }, [`${m.state} (${a.writableOn === n.id ? 'rw' : 'ro'})`])
            : el('td', { class: 'member m-nodedown', 'data-node': n.id, 'data-state': 'node-down' }, ['node down'])),
        ]))),
      ]);
      const parts = [head, table];
      const y = a.sync;
      if (y && y.action !== 'idle' && y.totalSectors > 0) {
        const pct = (100 * y.doneSectors) / y.totalSectors;
        const finish = y.finishSec === null || y.finishSec === undefined ? 'finish unknown' : `finish ${(y.finishSec / 60).toFixed(1)} min (about ${clock(Date.now() + y.finishSec * 1000)})`;
        parts.push(el('div', { class: 'progress', 'data-progress': a.device, 'data-action': y.action, 'data-done': y.doneSectors, 'data-percent': pct.toFixed(2) }, [el('div', { css: { width: `${pct.toFixed(2)}%` } })]));
        parts.push(el('div', { class: 'muted' }, [`${y.action} ${pct.toFixed(1)} % (${mib(y.doneSectors)}/${mib(y.totalSectors)} MiB), speed ${y.speedKiBps} KiB/s, ${finish}`]));
      }
      return el('div', { class: 'array', 'data-device': a.device }, parts);
    }));
  }

  function renderTimeline(s) {
    const box = $('timeline');
    const ivs = s.writerLog || [];
    if (ivs.length === 0) { box.replaceChildren(el('p', { class: 'muted' }, ['no writable intervals on this node'])); return; }
    const now = Date.now();
    const from = now - TIMELINE_WINDOW_MS;
    const devices = [...new Set(ivs.map((i) => i.device))];
    box.replaceChildren(...devices.flatMap((d) => [
      el('div', {}, [`/dev/${d} writable on ${s.node} `, el('span', { class: 'muted' }, ['(last 10 min)'])]),
      el('div', { class: 'timeline', 'data-timeline': d }, ivs.filter((i) => i.device === d && (i.endWallMs === null || i.endWallMs > from)).map((i) => {
        const a = Math.max(i.startWallMs, from);
        const b = i.endWallMs === null ? now : i.endWallMs;
        const left = (100 * (a - from)) / TIMELINE_WINDOW_MS;
        const width = Math.max(0.3, (100 * (b - a)) / TIMELINE_WINDOW_MS);
        return el('div', { class: 'iv' + (i.endWallMs === null ? ' open' : ''), css: { left: `${left}%`, width: `${width}%` }, title: `term ${i.term}: ${clock(i.startWallMs)} – ${i.endWallMs === null ? 'now' : clock(i.endWallMs)} (${i.reason})` });
      })),
    ]));
  }

  function renderEvents(s) {
    // Runs of the same event (Rebuild progress, mostly) are shown once, with their count.
    const runs = [];
    for (const e of s.events || []) {
      const last = runs[runs.length - 1];
      if (last && last.e.name === e.name && last.e.device === e.device && last.e.component === e.component) { last.n++; last.e = e; } else runs.push({ e, n: 1 });
    }
    $('events').replaceChildren(...runs.reverse().map(({ e, n }) => el('li', { class: BAD_EVENTS.has(e.name) ? 'ev-bad' : '', 'data-event': e.name }, [
      `${clock(e.timeMs)} ${e.name}`, n > 1 ? ` ×${n}` : '', e.device ? ` ${e.device}` : '', e.component ? ` ${e.component}` : '',
      e.percent !== undefined ? ` ${e.percent} %` : '', e.detail ? ` — ${e.detail}` : '',
    ])));
  }

  function lost(why) {
    if (!live && $('banner').dataset.feed === 'lost') return;
    live = false;
    const since = lastStatusWallMs ? `; the page shows the state of ${clock(lastStatusWallMs)}` : '';
    setBanner('lost', `LIVE FEED LOST (${why})${since}. Reconnecting…`);
  }

  function connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/watch`;
    let sock;
    try { sock = new WebSocket(url); } catch (e) { lost(String(e)); schedule(); return; }
    ws = sock;
    sock.onmessage = (m) => {
      lastMessageMs = Date.now();
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (!msg || !msg.status) return;
      if (!live) { live = true; reconnectMs = RECONNECT_MIN_MS; setBanner('live', 'live'); }
      render(msg.status);
    };
    sock.onclose = () => { if (ws === sock) { ws = null; lost('connection closed'); schedule(); } };
    sock.onerror = () => { /* onclose follows */ };
  }

  function schedule() {
    setTimeout(connect, reconnectMs);
    reconnectMs = Math.min(RECONNECT_MAX_MS, reconnectMs * 2);
  }

  setInterval(() => {
    if (live && Date.now() - lastMessageMs > FEED_SILENCE_MS) {
      lost(`no update for ${Math.round((Date.now() - lastMessageMs) / 1000)} s`);
      if (ws) { const s = ws; ws = null; s.close(); schedule(); }
    }
  }, 1000);
  connect();
})();
