// Live progress of compliance reports on /audit/<code>/reports/: while one is waiting or being
// built, ask the progress JSON every 2 seconds and update its row; show the download link when it
// is ready. Without JavaScript the page shows the state it was rendered with, and a Refresh link.
const POLL_MS = 2000;
const root = document.querySelector("[data-report-progress-url]");

function update(item) {
  const row = root.querySelector(`[data-report="${item.id}"]`);
  if (!row) return;
  const tag = row.querySelector('[data-field="state"]');
  tag.textContent = item.state_label;
  tag.className = `govuk-tag ${item.tag}`;
  const bar = row.querySelector('[data-field="bar"]');
  bar.value = item.percent;
  bar.textContent = `${item.percent}%`;
  row.querySelector('[data-field="label"]').textContent = `${item.step || root.dataset.textWaiting} (${item.percent}%)`;
  const cell = row.querySelector('[data-field="action"]');
  if (item.download_url && !cell.querySelector("a")) {
    const link = document.createElement("a");
    link.className = "govuk-link";
    link.href = item.download_url;
    link.setAttribute("download", "");
    link.textContent = root.dataset.textDownload;
    cell.replaceChildren(link);
  }
}

async function poll() {
  let busy = false;
  try {
    const response = await fetch(root.dataset.reportProgressUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) return; // signed out or no longer allowed: leave the page as it is
    const progress = await response.json();
    progress.reports.forEach(update);
    busy = progress.reports.some((item) => item.state === "pending" || item.state === "running");
  } catch {
    busy = true; // a network blip: try again
  }
  if (busy) setTimeout(poll, POLL_MS);
}

if (root && root.hasAttribute("data-pending")) setTimeout(poll, POLL_MS);
