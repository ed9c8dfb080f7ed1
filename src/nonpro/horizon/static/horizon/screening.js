// Keyboard shortcuts of the screening page: R relevant, I irrelevant, S skip, N note, Escape leaves the note.
// The buttons work without this script; it only saves a reach for the mouse.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.isContentEditable);
    if (typing) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    var key = (event.key || "").toLowerCase();
    if (key === "n") {
      var note = document.getElementById("id_note");
      if (note) { event.preventDefault(); note.focus(); }
      return;
    }
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (button) { event.preventDefault(); button.click(); }
  });
})();
