// The job page (templates/jobs/job_detail.html): polls the job's status as JSON and moves the
// progress bar, the count and the state without reloading; shows the download link when the
// job is done and the error when it failed. A static file: the CSP allows no inline script.
(function () {
  var box = document.querySelector("[data-job]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("[data-job-progress]");
  var state = box.querySelector("[data-job-state]");
  var count = box.querySelector("[data-job-count]");
  var error = box.querySelector("[data-job-error]");
  var download = box.querySelector("[data-job-download]");
  var cancel = box.querySelector("[data-job-cancel]");
  var delay = 1000;

  function show(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    state.textContent = data.state_label;
    state.setAttribute("data-state", data.state);
    count.textContent = data.done + " / " + data.total;
    if (data.error) { error.textContent = data.error; error.hidden = false; }
    if (data.download_url) { download.hidden = false; }
    if (data.finished && cancel) { cancel.hidden = true; }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { delay = Math.min(delay * 2, 30000); setTimeout(poll, delay); return; }
        show(data);
        if (!data.finished) { setTimeout(poll, delay); }
      })
      .catch(function () { delay = Math.min(delay * 2, 30000); setTimeout(poll, delay); });
  }

  if (state.getAttribute("data-state") !== "done" && state.getAttribute("data-state") !== "failed" &&
      state.getAttribute("data-state") !== "cancelled") {
    setTimeout(poll, delay);
  }
})();
