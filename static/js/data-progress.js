// Live progress on a country's "Data and keys" page: while a key rotation, an export or the exit is pending,
// ask progress.json every 2 seconds and update the rows in place. Without JavaScript the page
// shows the state it was rendered with, and a Refresh link. Its words come from the JavaScript
// catalogue (gettext, ngettext, interpolate), loaded before it.
const POLL_MS = 2000;
const root = document.querySelector("[data-progress-url]");

// A message of the catalogue with its values put in; "%%" is a percent sign, as in the pages' own.
function words(text, values) {
  return interpolate(text, values, true).replaceAll("%%", "%");
}

function setState(row, item) {
  const tag = row.querySelector('[data-field="state"]');
  if (tag) {
    tag.textContent = item.state_label;
    tag.className = `govuk-tag ${item.tag}`;
  }
  const bar = row.querySelector('[data-field="bar"]');
  if (bar) {
    bar.value = item.percent;
    bar.textContent = `${item.percent}%`;
  }
}

function setLabel(row, text) {
  const label = row.querySelector('[data-field="label"]');
  if (label && label.textContent !== text) label.textContent = text;
}

function updateRotation(item) {
  const row = root.querySelector(`[data-rotation="${item.id}"]`);
  if (!row) return;
  setState(row, item);
  const text = ngettext(
    "%(done)s of %(total)s value re-encrypted (%(percent)s%%)",
    "%(done)s of %(total)s values re-encrypted (%(percent)s%%)",
    item.total,
  );
  setLabel(row, words(text, { done: item.done, total: item.total, percent: item.percent }));
}

function updateExport(item) {
  const row = root.querySelector(`[data-export="${item.id}"]`);
  if (!row) return;
  setState(row, item);
  setLabel(row, `${item.step || root.dataset.textWaiting} (${item.percent}%)`);
  const cell = row.querySelector('[data-field="action"]');
  if (cell && item.download_url && !cell.querySelector("a")) {
    const link = document.createElement("a");
    link.className = "govuk-link";
    link.href = item.download_url;
    link.setAttribute("download", "");
    link.textContent = root.dataset.textDownload;
    cell.replaceChildren(link);
  }
}

function updateExit(item) {
  if (!item) return;
  const row = document.querySelector(`[data-exit="${item.id}"]`);
  if (!row) return;
  setState(row, item);
  setLabel(row, `${item.step || root.dataset.textWaiting} (${item.percent}%)`);
}

async function poll() {
  try {
    const response = await fetch(root.dataset.progressUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return; // signed out or no longer allowed: leave the page as it is
    const progress = await response.json();
    progress.rotations.forEach(updateRotation);
    progress.exports.forEach(updateExport);
    updateExit(progress.exit);
    if (progress.pending) {
      window.setTimeout(poll, POLL_MS);
    } else {
      const refresh = root.querySelector("[data-refresh-link]");
      if (refresh) refresh.hidden = true;
    }
  } catch {
    window.setTimeout(poll, POLL_MS * 5); // a network blip: try again, more slowly
  }
}

if (root && root.dataset.pending === "true") {
  const refresh = root.querySelector("[data-refresh-link]");
  if (refresh) refresh.hidden = true;
  window.setTimeout(poll, POLL_MS);
}
