// Belfry dashboard: live updates by server-sent events. On a change (batched by the server), the page's live
// regions ([data-live] with an id) are fetched again and swapped in. No polling storm: at most one refresh every
// 2 s, every 15 s while the host reports more changes than a page can show (a "reset" for many changes), none while
// the tab is hidden (one on return), and a job's page only for changes of its own job. After a reconnect the browser
// sends Last-Event-ID and the server replays what was missed, or sends "reset", which refreshes too: a page left
// open for hours stays correct. A run's progress reports arrive as "progress" events (the latest of each run, a few
// times a second at most) and move its bar in place, without a reload.

const status = document.getElementById('live-status');
const regions = () => Array.from(document.querySelectorAll('[data-live][id]'));
const ownJob = document.querySelector('[data-live][data-job]')?.dataset.job;
const GAP = 2000;
// On a busy host (a reset: more changes than a batch carries) a page refreshes less often: what changes then is
// mostly the same fires again, and every open page costs the host a render on the cores its fires run on.
const BUSY_GAP = 15000;
/** How long to wait before opening again a stream the server refused (it sends Retry-After: 30 when full). */
const RETRY_GAP = 10000;
// Each page waits its gap and a random part of it more, drawn anew after each refresh: pages woken by the same
// event (a host's events go to every page at once) would otherwise reload in step, and the host would draw them all
// in the same moment, on the cores its fires need.
let jitter = Math.random();
let wanted = false;
let running = false;
let lastRun = 0;
let busyUntil = 0;
let timer = null;

function setStatus(text, on) {
  if (status) {
    status.textContent = text;
    status.classList.toggle('on', on);
  }
}

function schedule(delay) {
  if (timer === null) {
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, delay);
  }
}

async function refresh() {
  if (running || document.hidden || !wanted) {
    return;
  }
  const gap = (Date.now() < busyUntil ? BUSY_GAP : GAP) * (1 + jitter / 2);
  const wait = gap - (Date.now() - lastRun);
  if (wait > 0) {
    schedule(wait);
    return;
  }
  running = true;
  wanted = false;
  lastRun = Date.now();
  jitter = Math.random();
  try {
    const response = await fetch(location.href, { credentials: 'same-origin' });
    if (response.status === 401) {
      loggedOut = true;
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
      schedule(GAP);
    }
  }
}

function progressed(event) {
  let report;
  try {
    report = JSON.parse(event.data);
  } catch (e) {
    return;
  }
  const bar = document.getElementById('progress-' + Number(report.run));
  const run = bar?.closest('[data-run]');
  if (!run || (ownJob && report.job !== ownJob)) {
    return;
  }
  bar.value = report.percent;
  bar.textContent = report.percent + '%';
  run.querySelector('[data-field="percent"]').textContent = report.percent + '%';
  run.querySelector('[data-field="message"]').textContent = report.message;
}

function changed(event) {
  if (event.type === 'reset') {
    busyUntil = Date.now() + 30000;
  } else if (ownJob) {
    try {
      if (JSON.parse(event.data).job !== ownJob) {
        return;
      }
    } catch (e) {
      // not a change of one job: refresh
    }
  }
  wanted = true;
  refresh();
}

let loggedOut = false;
let opened = false;

// The browser reconnects a stream that was cut by itself, but gives up on one the server refused (a 503 while too
// many streams are open, a 401 once the session is gone): such a stream is opened again here, after a pause, unless
// the session is over.
function listen() {
  const source = new EventSource('/ui/events');
  source.addEventListener('open', () => {
    setStatus('live', true);
    if (opened) {
      wanted = true; // reconnected: whatever was missed is fetched whole
      refresh();
    }
    opened = true;
  });
  source.addEventListener('error', () => {
    if (loggedOut) {
      source.close();
      return;
    }
    setStatus('reconnecting', false);
    if (source.readyState === EventSource.CLOSED) {
      setTimeout(async () => {
        try {
          const page = await fetch(location.href, { credentials: 'same-origin' });
          if (page.status === 401) {
            loggedOut = true;
            setStatus('logged out', false);
            return;
          }
        } catch (e) {
          // out of reach: try the stream again all the same
        }
        listen();
      }, RETRY_GAP);
    }
  });
  for (const type of ['job', 'run', 'plugins', 'reset']) {
    source.addEventListener(type, changed);
  }
  source.addEventListener('progress', progressed);
}

if (regions().length > 0 && 'EventSource' in window) {
  listen();
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && wanted) {
      refresh();
    }
  });
} else {
  setStatus('static', false);
}
