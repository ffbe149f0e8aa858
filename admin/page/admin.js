// The rx-reconcile admin page. Plain browser JavaScript, no build step, no dependencies.
// Rule of this file: every value from the server (keys, errors, specs, conditions) reaches the page
// through textContent or a form control's value, never as HTML (no innerHTML, outerHTML,
// insertAdjacentHTML or document.write): a key named <img src=x onerror=alert(1)> shows as text.
'use strict';

(function () {
  const TOKEN_KEY = 'rx-reconcile-admin-token';
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    readOnly: true,
    loops: new Map(),
    order: [],
    selected: null,
    filter: 'all',
    search: '', // keys containing this (ignoring case)
    page: 0, // which page of PAGE_SIZE keys
    detail: null,
    offset: 0, // server time − local time, in ms
  };

  // A token passed in the URL fragment (#token=…) is kept for this tab and removed from the address bar.
  // A fragment that is not valid percent-encoding (a stray `%`) is dropped with a message, never kept.
  let badTokenInUrl = false;
  if (location.hash.startsWith('#token=')) {
    try {
      state.token = decodeURIComponent(location.hash.slice(7));
      sessionStorage.setItem(TOKEN_KEY, state.token);
    } catch {
      badTokenInUrl = true;
    }
    history.replaceState(null, '', location.pathname + location.search);
  }

  const $ = (id) => document.getElementById(id);

  /** An element with text content (never HTML). */
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function cell(text, className) {
    return el('td', text, className);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function say(text, isError) {
    const m = $('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
  }

  function loopPath(loop) {
    return 'api/loops/' + encodeURIComponent(loop);
  }

  // A key travels as a query parameter: in a path, a key named `.` or `..` (even as %2e) would be
  // resolved away by the browser before the request leaves.
  function keyPath(loop, key, action) {
    return loopPath(loop) + '/key' + (action ? '/' + action : '') + '?key=' + encodeURIComponent(key);
  }

  const PAGE_SIZE = 500;

  async function getJson(path) {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.message || res.status + ' ' + res.statusText);
    if (typeof body.now === 'number') state.offset = body.now - Date.now();
    return body;
  }

  async function post(path, what) {
    if (state.readOnly) {
      say('Read-only: the admin was started without a token.', true);
      return false;
    }
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    try {
      const res = await fetch(path, { method: 'POST', headers, cache: 'no-store' });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        say(what + ' refused: ' + (body.message || res.status) + (res.status === 401 ? ' (enter the token above)' : ''), true);
        return false;
      }
      say(what + ' done.', false);
      return true;
    } catch (error) {
      say(what + ' failed: ' + error.message, true);
      return false;
    }
  }

  function serverNow() {
    return Date.now() + state.offset;
  }

  function relative(at) {
    if (typeof at !== 'number') return '–';
    const ms = at - serverNow();
    const abs = Math.abs(ms);
    const text = abs < 1000 ? Math.round(abs) + ' ms' : abs < 120000 ? (abs / 1000).toFixed(1) + ' s' : Math.round(abs / 60000) + ' min';
    return ms >= 0 ? 'in ' + text : text + ' ago';
  }

  function button(label, action, onClick) {
    const b = el('button', label);
    b.type = 'button';
    b.dataset.action = action;
    b.disabled = state.readOnly;
    b.addEventListener('click', onClick);
    return b;
  }

  // ---- loops ------------------------------------------------------------------------------------

  function healthText(loop) {
    const h = loop.health;
    if (!h.alive) return { text: h.state + (h.reason ? ': ' + h.reason : ''), cls: 'state-bad' };
    if (loop.paused) return { text: 'paused', cls: 'state-warn' };
    if (!h.ready) return { text: 'not ready' + (h.reason ? ': ' + h.reason : ''), cls: 'state-warn' };
    return { text: 'ready', cls: 'state-ok' };
  }

  function renderLoops() {
    const body = $('loops').tBodies[0];
    clear(body);
    for (const name of state.order) {
      const loop = state.loops.get(name);
      const tr = el('tr');
      tr.dataset.loop = name;
      if (name === state.selected) tr.className = 'selected';
      const nameCell = cell('', 'key');
      const link = el('button', name);
      link.type = 'button';
      link.dataset.action = 'select';
      link.addEventListener('click', () => select(name));
      nameCell.appendChild(link);
      tr.appendChild(nameCell);
      tr.appendChild(cell(loop.kind === null ? 'streams' : loop.kind));
      const h = healthText(loop);
      tr.appendChild(cell(h.text, h.cls));
      const c = loop.counters;
      for (const v of [loop.depth, loop.inFlight, loop.backoff, loop.quarantined, loop.terminal, c.passes, c.converged, c.retry + c.terminal]) tr.appendChild(cell(v, 'num'));
      const actions = cell('');
      if (loop.paused) actions.appendChild(button('Resume', 'resume', () => loopAction(name, 'resume')));
      else actions.appendChild(button('Pause', 'pause', () => loopAction(name, 'pause')));
      tr.appendChild(actions);
      body.appendChild(tr);
    }
  }

  function applyPage(page) {
    state.readOnly = page.readOnly === true;
    const notice = $('notice');
    notice.hidden = !state.readOnly;
    notice.textContent = state.readOnly ? 'Read-only: ' + (page.notice || 'the admin was started without a token.') : '';
    $('auth').hidden = state.readOnly;
    $('token-state').textContent = state.token
      ? 'token set for this tab'
      : badTokenInUrl
        ? 'the token in the address was not valid (percent-encode it, or enter it here): actions will be refused'
        : 'no token: actions will be refused';
    state.loops.clear();
    state.order = [];
    for (const loop of page.loops) {
      state.loops.set(loop.name, loop);
      state.order.push(loop.name);
    }
    if (state.selected === null && state.order.length > 0) state.selected = state.order[0];
    renderLoops();
    refreshKeys();
  }

  function applyLoop(loop) {
    if (!state.loops.has(loop.name)) state.order.push(loop.name);
    state.loops.set(loop.name, loop);
    renderLoops();
    if (loop.name === state.selected) {
      refreshKeys();
      if (state.detail !== null) refreshDetail();
    }
  }

  async function loopAction(name, action) {
    if (await post(loopPath(name) + '/' + action, action[0].toUpperCase() + action.slice(1) + ' ' + name)) refreshAll();
  }

  function select(name) {
    if (state.selected !== name) state.page = 0;
    state.selected = name;
    state.detail = null;
    $('detail').hidden = true;
    renderLoops();
    refreshKeys();
  }

  // ---- keys -------------------------------------------------------------------------------------

  let keysTimer = null;
  function refreshKeys() {
    if (keysTimer !== null) return;
    keysTimer = setTimeout(() => {
      keysTimer = null;
      loadKeys();
    }, 50);
  }

  let keysAsked = 0; // answers that come back out of order (typing in the search box) are dropped
  async function loadKeys() {
    const loop = state.selected;
    if (loop === null) return;
    const asked = ++keysAsked;
    $('keys-section').hidden = false;
    $('keys-loop').textContent = loop;
    let data;
    try {
      data = await getJson(
        loopPath(loop) + '/keys?state=' + encodeURIComponent(state.filter) + '&limit=' + PAGE_SIZE + '&offset=' + state.page * PAGE_SIZE + '&q=' + encodeURIComponent(state.search),
      );
    } catch (error) {
      say('Keys: ' + error.message, true);
      return;
    }
    if (loop !== state.selected || asked !== keysAsked) return;
    const body = $('keys').tBodies[0];
    clear(body);
    for (const k of data.keys) {
      const tr = el('tr');
      tr.dataset.key = k.key;
      tr.appendChild(cell(k.key, 'key'));
      tr.appendChild(cell(k.state + (k.overdue ? ' (overdue)' : '') + (k.hot ? ' (hot)' : '')));
      tr.appendChild(cell(k.attempts, 'num'));
      tr.appendChild(cell(k.nextAttemptAt === undefined ? '–' : relative(k.nextAttemptAt)));
      tr.appendChild(cell(k.lastError ? (k.lastError.class ? k.lastError.class + ': ' : '') + k.lastError.message : '', 'error'));
      tr.appendChild(cell(k.lastOutcome || '–'));
      const actions = cell('');
      actions.appendChild(button('Trigger', 'trigger', () => keyAction(loop, k.key, 'trigger')));
      if (k.state === 'quarantined' || k.state === 'terminal') actions.appendChild(button('Release', 'release', () => keyAction(loop, k.key, 'release')));
      const details = button('Details', 'details', () => openDetail(loop, k.key));
      details.disabled = false;
      actions.appendChild(details);
      tr.appendChild(actions);
      body.appendChild(tr);
    }
    // The keys moved on since the last look (fewer now): show the last page that has any.
    if (data.keys.length === 0 && state.page > 0 && data.total > 0) {
      state.page = Math.floor((data.total - 1) / PAGE_SIZE);
      refreshKeys();
      return;
    }
    const first = data.offset + 1;
    const last = data.offset + data.keys.length;
    $('keys-empty').hidden = data.keys.length > 0;
    $('keys-empty').textContent = state.search ? 'No key in this state contains "' + state.search + '".' : 'No key in this state.';
    $('keys-total').textContent =
      data.total > data.keys.length ? first + '–' + last + ' of ' + data.total + (state.search ? ' matching' : '') : data.total + ' key(s)' + (state.search ? ' matching' : '');
    $('keys-prev').hidden = data.offset === 0;
    $('keys-next').hidden = last >= data.total;
  }

  async function keyAction(loop, key, action) {
    if (await post(keyPath(loop, key, action), action[0].toUpperCase() + action.slice(1) + ' ' + key)) {
      refreshAll();
      if (state.detail === null || state.detail.key !== key) openDetail(loop, key);
    }
  }

  // ---- one key ----------------------------------------------------------------------------------

  function openDetail(loop, key) {
    state.detail = { loop, key };
    refreshDetail();
  }

  async function refreshDetail() {
    const d = state.detail;
    if (d === null) return;
    let data;
    try {
      data = await getJson(keyPath(d.loop, d.key));
    } catch (error) {
      say('Key: ' + error.message, true);
      return;
    }
    if (state.detail !== d) return;
    $('detail').hidden = false;
    $('detail-key').textContent = data.key;
    const s = data.state;
    let text = 'State: ' + s.state;
    if (typeof s.attempts === 'number' && s.attempts > 0) text += ', ' + s.attempts + ' failed attempt(s)';
    if (typeof s.nextAttemptAt === 'number') text += ', next attempt ' + relative(s.nextAttemptAt);
    if (s.lastError) text += ' — last error (' + (s.lastError.class || 'error') + '): ' + s.lastError.message;
    $('detail-state').textContent = text;
    $('detail-state').dataset.state = s.state;
    $('detail-trigger').disabled = state.readOnly;
    $('detail-release').disabled = state.readOnly || !(s.state === 'quarantined' || s.state === 'terminal');

    const conditions = $('conditions').tBodies[0];
    clear(conditions);
    const r = data.resource;
    for (const c of r.conditions || []) {
      const tr = el('tr');
      for (const v of [c.type, c.status, c.reason, c.message, c.observedGeneration, c.lastTransitionTime]) tr.appendChild(cell(v));
      conditions.appendChild(tr);
    }
    $('resource-note').textContent = r.error
      ? 'The store could not be read: ' + r.error
      : !r.found
        ? 'Not in the store (deleted, or never created).'
        : 'Generation ' + r.generation + (r.observedGeneration !== undefined ? ', observed ' + r.observedGeneration : '') + (r.deleting ? ', being deleted' : '') + (r.finalizers && r.finalizers.length ? ', finalizers: ' + r.finalizers.join(', ') : '');
    $('resource').textContent = r.json || '';

    const passes = $('passes').tBodies[0];
    clear(passes);
    for (const p of data.passes) {
      const tr = el('tr');
      tr.dataset.outcome = p.outcome;
      tr.appendChild(cell(relative(p.finishedAt)));
      tr.appendChild(cell(p.reason));
      tr.appendChild(cell(p.outcome + (p.parked ? ' → ' + p.parked : '') + (p.aborted ? ' (aborted)' : '')));
      tr.appendChild(cell(p.durationMs + ' ms', 'num'));
      tr.appendChild(cell(p.failures, 'num'));
      tr.appendChild(cell(p.error ? (p.error.class ? p.error.class + ': ' : '') + p.error.message : '', 'error'));
      passes.appendChild(tr);
    }
  }

  // ---- wiring -----------------------------------------------------------------------------------

  async function refreshAll() {
    try {
      applyPage(await getJson('api/loops'));
    } catch (error) {
      say('Loops: ' + error.message, true);
    }
    if (state.detail !== null) refreshDetail();
  }

  $('key-state').addEventListener('change', (event) => {
    state.filter = event.target.value;
    state.page = 0;
    loadKeys();
  });
  $('key-search').addEventListener('input', (event) => {
    state.search = event.target.value;
    state.page = 0;
    refreshKeys();
  });
  $('keys-prev').addEventListener('click', () => {
    state.page = Math.max(0, state.page - 1);
    loadKeys();
  });
  $('keys-next').addEventListener('click', () => {
    state.page += 1;
    loadKeys();
  });
  $('detail-close').addEventListener('click', () => {
    state.detail = null;
    $('detail').hidden = true;
  });
  $('detail-trigger').addEventListener('click', () => state.detail && keyAction(state.detail.loop, state.detail.key, 'trigger'));
  $('detail-release').addEventListener('click', () => state.detail && keyAction(state.detail.loop, state.detail.key, 'release'));
  $('token-use').addEventListener('click', () => {
    state.token = $('token').value.trim();
    $('token').value = '';
    if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
    else sessionStorage.removeItem(TOKEN_KEY);
    $('token-state').textContent = state.token ? 'token set for this tab' : 'no token: actions will be refused';
  });
  $('token-forget').addEventListener('click', () => {
    state.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    $('token-state').textContent = 'no token: actions will be refused';
  });

  /**
   * The live stream. The browser reconnects by itself after a network error, but never after an
   * answer that is not a stream (a 503 "too many streams", a proxy's 502 during a restart): then the
   * page says it is disconnected, refreshes by polling, and opens a new stream after a growing wait.
   */
  let retryMs = 1000;
  function connect() {
    const badge = $('connection');
    const events = new EventSource('api/events');
    events.addEventListener('open', () => {
      if (retryMs > 1000) refreshAll(); // back after a disconnection: what changed meanwhile
      retryMs = 1000;
      badge.textContent = 'live';
      badge.className = 'badge live';
    });
    events.addEventListener('error', () => {
      badge.className = 'badge down';
      if (events.readyState !== EventSource.CLOSED) {
        badge.textContent = 'reconnecting…';
        return;
      }
      badge.textContent = 'disconnected: retrying in ' + Math.round(retryMs / 1000) + ' s';
      setTimeout(() => {
        refreshAll();
        connect();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, 30000); // > 1000 from now on, until a stream opens
    });
    events.addEventListener('loops', (event) => {
      const page = JSON.parse(event.data);
      if (typeof page.now === 'number') state.offset = page.now - Date.now();
      applyPage(page);
    });
    events.addEventListener('loop', (event) => applyLoop(JSON.parse(event.data)));
  }

  refreshAll();
  connect();
})();
