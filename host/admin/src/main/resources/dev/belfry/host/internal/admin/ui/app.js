// Belfry dashboard: live updates by server-sent events. On a change (batched by the server), the page's live
// regions ([data-live] with an id) are fetched again and swapped in; at most one refresh per second, none while the
// tab is hidden (one on return). After a reconnect the browser sends Last-Event-ID and the server replays what was
// missed, or sends "reset", which refreshes too: a page left open for hours stays correct.

const status = document.getElementById('live-status');
const regions = () => Array.from(document.querySelectorAll('[data-live][id]'));
let wanted = false;
let running = false;
let lastRun = 0;

function setStatus(text, on) {
  if (status) {
    status.textContent = text;
    status.classList.toggle('on', on);
  }
}

async function refresh() {
  if (running || document.hidden) {
    return;
  }
  const wait = 1000 - (Date.now() - lastRun);
  if (wait > 0) {
    setTimeout(refresh, wait);
    return;
  }
  running = true;
  wanted = false;
  lastRun = Date.now();
  try {
    const response = await fetch(location.href, { credentials: 'same-origin' });
    if (response.status === 401) {
      setStatus('logged out', false);
      return;
    }
    if (response.ok) {
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const region of regions()) {
        const next = fresh.getElementById(region.id);
        if (next && next.innerHTML !== region.innerHTML) {
          region.replaceWith(document.importNode(next, true));
        }
      }
      document.dispatchEvent(new CustomEvent('belfry:refreshed'));
    }
  } catch (e) {
    setStatus('offline', false);
  } finally {
    running = false;
    if (wanted) {
      setTimeout(refresh, 1000);
    }
  }
}

function changed() {
  wanted = true;
  refresh();
}

if (regions().length > 0 && 'EventSource' in window) {
  const source = new EventSource('/ui/events');
  let opened = false;
  source.addEventListener('open', () => {
    setStatus('live', true);
    if (opened) {
      changed(); // reconnected: whatever was missed is fetched whole
    }
    opened = true;
  });
  source.addEventListener('error', () => setStatus('reconnecting', false));
  for (const type of ['job', 'run', 'plugins', 'reset']) {
    source.addEventListener(type, changed);
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && wanted) {
      refresh();
    }
  });
} else {
  setStatus('static', false);
}
