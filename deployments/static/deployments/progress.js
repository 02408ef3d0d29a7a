// Live provisioning progress on a deployment request's page: while its job runs, ask the page's
// progress.json every second and move the bar and the steps. Without JavaScript the page shows
// the state it was rendered with. Its words come from the JavaScript catalogue (gettext,
// interpolate), loaded before it.
const root = document.querySelector("[data-deployment-progress]");
const POLL_MS = 1000;

function render(data) {
  const job = data.provisioning;
  if (!job) return;
  const bar = root.querySelector('[data-field="bar"]');
  bar.value = job.percent;
  bar.textContent = `${job.percent}%`;
  root.querySelector('[data-field="label"]').textContent = `${job.percent}% – ${job.state_label}`;
  for (const step of job.steps) {
    const item = root.querySelector(`[data-step="${step.name}"]`);
    if (item) item.textContent = step.done ? interpolate(gettext("%(label)s – done"), { label: step.label }, true) : step.label;
  }
  const tag = document.querySelector('[data-field="request-state"]');
  if (tag) tag.textContent = data.state_label;
  return job.state === "pending" || job.state === "running";
}

async function poll() {
  try {
    const response = await fetch(root.dataset.deploymentProgress, { headers: { Accept: "application/json" } });
    if (response.ok && !render(await response.json())) {
      window.location.reload();  // finished: show the environment link and the final state
      return;
    }
  } catch (error) {
    // a dropped request: try again on the next tick
  }
  setTimeout(poll, POLL_MS);
}

if (root && root.dataset.running === "true") setTimeout(poll, POLL_MS);
