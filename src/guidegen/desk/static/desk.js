// guidegen desk: "Add a row" for repeatable fields. Without JavaScript every field still has one empty row.
(function () {
  "use strict";
  function renumber(row, index) {
    row.dataset.row = String(index);
    row.querySelectorAll("[id], [name], [for], [aria-describedby]").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/-\d+-/, "-" + index + "-")); }
      });
      el.removeAttribute("aria-describedby");
      el.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    row.querySelectorAll("input").forEach(function (el) { el.value = ""; });
    row.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    var legend = row.querySelector("legend");
    if (legend) { legend.textContent = legend.textContent.replace(/\d+/, String(index + 1)); }
  }
  document.querySelectorAll("button[data-add-row]").forEach(function (button) {
    var list = document.querySelector('[data-rows="' + button.dataset.addRow + '"]');
    if (!list) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = list.querySelectorAll(".row");
      var last = rows[rows.length - 1];
      var row = last.cloneNode(true);
      renumber(row, rows.length);
      list.appendChild(row);
      var first = row.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });
})();
