// Row editor for a document's table (the annual plan's projects, the school
// plan's school-year blocks): rows are added and removed in the page and all
// saved together. No inline scripts or handlers (the CSP allows none).
//
// <div data-row-editor data-prefix="projects"> holds the formset's management
// form, a <tbody data-rows> of <tr data-row> and a <template data-empty-row>
// (Django's empty_form, its names carrying "__prefix__").
(function () {
  "use strict";

  function setUp(editor) {
    var prefix = editor.getAttribute("data-prefix");
    var total = editor.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var maxForms = editor.querySelector("input[name='" + prefix + "-MAX_NUM_FORMS']");
    var body = editor.querySelector("[data-rows]");
    var template = editor.querySelector("template[data-empty-row]");
    var addButton = editor.querySelector("[data-add-row]");
    if (!total || !body || !template || !addButton) {
      return;
    }

    function shownRows() {
      return body.querySelectorAll("tr[data-row]:not([hidden])").length;
    }

    function refresh() {
      var max = maxForms ? parseInt(maxForms.value, 10) : NaN;
      addButton.disabled = !isNaN(max) && shownRows() >= max;
    }

    // With the script, a button removes a row; the DELETE box stays for pages without it.
    function enhance(row) {
      var box = row.querySelector("input[type=checkbox][name$='-DELETE']");
      var remove = row.querySelector("[data-remove-row]");
      if (box) {
        box.hidden = true;
        var label = box.closest("label");
        if (label) { label.hidden = true; }
      }
      if (remove) {
        remove.hidden = false;
      }
    }

    // The server's spare empty row is for pages without the script: with it,
    // rows are added on demand. Its index stays counted and arrives empty, so it is skipped.
    body.querySelectorAll("tr[data-row][data-spare]").forEach(function (row) { row.remove(); });
    addButton.hidden = false;
    body.querySelectorAll("tr[data-row]").forEach(enhance);

    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("tbody");
      holder.innerHTML = html.trim();
      var row = holder.querySelector("tr[data-row]");
      row.setAttribute("data-new", "");
      body.appendChild(row);
      total.value = String(index + 1);
      enhance(row);
      refresh();
      var first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), textarea");
      if (first) { first.focus(); }
    });

    body.addEventListener("click", function (event) {
      var remove = event.target.closest && event.target.closest("[data-remove-row]");
      if (!remove) {
        return;
      }
      var row = remove.closest("tr[data-row]");
      if (row.hasAttribute("data-new")) {
        // Never sent: its index stays counted in TOTAL_FORMS and arrives empty, so it is skipped.
        row.remove();
      } else {
        var box = row.querySelector("input[type=checkbox][name$='-DELETE']");
        if (box) { box.checked = true; }
        row.hidden = true;
      }
      refresh();
    });
    refresh();
  }

  function start() {
    document.querySelectorAll("[data-row-editor]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
