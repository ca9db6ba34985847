// Behaviour for the project's pages. No inline scripts: the
// Content-Security-Policy (config/settings/base.py) allows none.

// <select data-submit-on-change> submits its form when changed (the language switch).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-submit-on-change]") && target.form) {
    target.form.submit();
  }
});

// <button data-print> prints the page (first-password sheets).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});

// <form data-confirm="question"> asks before submitting (resetting a password, deactivating an account).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
