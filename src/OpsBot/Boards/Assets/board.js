// OpsBot board page: shows each pushed snapshot, rotates long lists, and says when it is not live.
// TV pages listen with EventSource (kiosk cookie); the Teams tab reads the same stream with fetch and its Teams SSO token.
(() => {
  'use strict';
  const root = document.documentElement;
  const body = document.body;
  const main = document.getElementById('board');
  const offline = document.getElementById('offline');
  const since = document.getElementById('offline-since');
  const rotateMs = Number(body.dataset.rotate || 12) * 1000;
  let lastLive = new Date();
  let page = 0;

  const hhmm = d => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

  function live() {
    lastLive = new Date();
    offline.hidden = true;
    root.classList.remove('stale');
  }

  function lost() {
    if (!offline.hidden) return;
    since.textContent = hhmm(lastLive);
    offline.hidden = false;
    root.classList.add('stale');
  }

  function rotate() {
    for (const section of main.querySelectorAll('section')) {
      const pages = section.querySelectorAll(':scope > .page');
      pages.forEach((p, i) => { p.hidden = pages.length > 1 && i !== page % pages.length; });
    }
  }

  function show(html) {
    main.innerHTML = html;
    rotate();
  }

  function message(title, text) {
    main.className = 'message';
    main.replaceChildren();
    const h = document.createElement('h1');
    h.textContent = title;
    const p = document.createElement('p');
    p.textContent = text;
    main.append(h, p);
    offline.hidden = true;
    root.classList.remove('stale');
  }

  function onEvent(name, data) {
    const value = JSON.parse(data);
    if (name === 'board') { live(); show(value.html); return 'go'; }
    if (name === 'revoked') { message('Access revoked', value.message); return 'stop'; }
    if (name === 'gone') { message('Board removed', value.message); return 'stop'; }
    return 'go';
  }

  setInterval(() => { page++; rotate(); }, rotateMs);
  rotate();

  // TV: EventSource reconnects by itself after a lost connection or a restart; a refused stream is answered by the page itself.
  function listen() {
    const source = new EventSource(body.dataset.events);
    let stopped = false;
    for (const name of ['board', 'revoked', 'gone']) {
      source.addEventListener(name, e => { if (onEvent(name, e.data) === 'stop') { stopped = true; source.close(); } });
    }
    source.addEventListener('open', live);
    source.addEventListener('error', async () => {
      if (stopped) return;
      lost();
      if (source.readyState !== EventSource.CLOSED) return;
      try {
        const answer = await fetch(location.pathname, { cache: 'no-store', credentials: 'same-origin' });
        if (answer.status === 401 || answer.status === 404) {
          const doc = new DOMParser().parseFromString(await answer.text(), 'text/html');
          const title = doc.querySelector('h1')?.textContent || 'Not available';
          message(title, doc.querySelector('p')?.textContent || '');
          return;
        }
      } catch { /* still down */ }
      setTimeout(listen, 3000);
    });
  }

  // Teams tab: the stream needs the viewer's Teams SSO token, so it is read with fetch.
  async function listenInTeams() {
    const teams = window.microsoftTeams;
    if (!teams) { message('Open this tab in Teams', 'This page identifies you with Teams single sign-on.'); return; }
    await teams.app.initialize();
    let token;
    const signIn = async () => { token = await teams.authentication.getAuthToken(); };
    try { await signIn(); } catch (e) { message('Sign-in failed', String(e && e.message || e)); return; }
    for (let retried = false; ;) {
      let answer;
      try {
        answer = await fetch(body.dataset.events, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' });
      } catch { lost(); await new Promise(r => setTimeout(r, 3000)); continue; }
      if (answer.status === 401 && !retried) { retried = true; try { await signIn(); } catch { /* shown below */ } continue; }
      if (!answer.ok) {
        const text = await answer.text();
        let detail = text;
        try { detail = JSON.parse(text).detail || text; } catch { /* plain text */ }
        message(answer.status === 404 ? 'No such board' : 'Not allowed', detail);
        return;
      }
      retried = false;
      live();
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let stop = false;
      try {
        while (!stop) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let name = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length && onEvent(name, data.join('\n')) === 'stop') stop = true;
          }
        }
      } catch { /* connection lost */ }
      if (stop) return;
      lost();
      await new Promise(r => setTimeout(r, 2000));
    }
  }

  // The configurable tab's configuration page: pick a board; Teams saves the tab with its URL.
  async function configure() {
    const teams = window.microsoftTeams;
    const select = document.getElementById('board-picker');
    if (!teams || !select) return;
    await teams.app.initialize();
    const token = await teams.authentication.getAuthToken();
    const answer = await fetch('/tab/boards', { headers: { Authorization: 'Bearer ' + token } });
    const boards = answer.ok ? await answer.json() : [];
    for (const b of boards) select.add(new Option(b.title + ' (' + b.name + ')', b.name));
    select.addEventListener('change', () => teams.pages.config.setValidityState(!!select.value));
    teams.pages.config.registerOnSaveHandler(save => {
      const board = boards.find(b => b.name === select.value);
      teams.pages.config.setConfig({
        entityId: 'board-' + board.name,
        contentUrl: location.origin + '/tab?board=' + encodeURIComponent(board.name),
        suggestedDisplayName: board.title,
      }).then(() => save.notifySuccess(), e => save.notifyFailure(String(e)));
    });
  }

  if (root.classList.contains('tab-config')) configure();
  else if (root.classList.contains('tab')) listenInTeams();
  else listen();
})();
