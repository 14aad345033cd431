// Progressive enhancement for the dashboard: copy buttons and confirmations.
// Every page works without it (the buttons that need it are hidden until it runs).
(function () {
  "use strict";
  var live = document.getElementById("live-region");

  function announce(text) {
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var label = button.getAttribute("data-copy-label") || "Value";
      copyText(button.getAttribute("data-copy")).then(function () {
        var original = button.textContent;
        button.textContent = "Copied";
        announce(label + " copied to the clipboard.");
        window.setTimeout(function () { button.textContent = original; }, 1500);
      }, function () { announce("Could not copy: select the text and copy it by hand."); });
    });
  });

  // A form with errors: focus the first field marked invalid (its error is read with it),
  // else the summary. Otherwise announce the page's messages ("Tier pro saved.").
  var invalid = document.querySelector("[aria-invalid='true']");
  var summary = document.querySelector(".form-errors");
  if (invalid) {
    invalid.focus();
  } else if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  } else {
    var shown = Array.prototype.map.call(document.querySelectorAll(".messages li"), function (li) {
      return li.textContent.trim();
    });
    if (shown.length) announce(shown.join(" "));
  }

  // A file input with data-preview="<img id>": show the chosen image before it is uploaded.
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    var preview = document.getElementById(input.getAttribute("data-preview"));
    if (!preview || !window.URL || !URL.createObjectURL) return;
    var shown = null;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\//.test(file.type)) return;
      if (shown) URL.revokeObjectURL(shown);
      shown = URL.createObjectURL(file);
      preview.src = shown;
      preview.alt = "Preview of " + file.name;
      preview.hidden = false;
      announce("Preview of " + file.name + " shown; it is uploaded when you save.");
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
