// Copy buttons: the pages work without this script (the values are on the page, ready to
// select); with it, each button marked data-copy="ID" copies the value of element ID.
(function () {
  "use strict";
  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  document.body.appendChild(live);

  function said(button, text) {
    var label = button.firstChild;
    var before = label.nodeValue;
    label.nodeValue = text;
    live.textContent = text;
    window.setTimeout(function () { label.nodeValue = before; }, 1600);
  }

  function fallback(source) {
    if (source.select) {
      source.focus();
      source.select();
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.value !== undefined ? source.value : source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { said(button, "Copied"); },
          function () { said(button, fallback(source) ? "Copied" : "Press Ctrl+C"); }
        );
      } else {
        said(button, fallback(source) ? "Copied" : "Press Ctrl+C");
      }
    });
  });
})();
