// Worksheets: what the reader types is kept in this browser only (localStorage), never sent anywhere.
(function () {
  "use strict";
  var key = "guidegen:" + location.pathname + ":";
  var fields = document.querySelectorAll(".ws-field textarea");
  var store;
  try { store = window.localStorage; store.getItem("probe"); } catch (e) { store = null; }
  fields.forEach(function (field) {
    if (store) {
      var saved = store.getItem(key + field.id);
      if (saved !== null) { field.value = saved; }
      field.addEventListener("input", function () { store.setItem(key + field.id, field.value); });
    }
  });
  document.querySelectorAll(".worksheet").forEach(function (sheet) {
    var note = sheet.querySelector(".ws-note");
    if (!note && store) {
      note = document.createElement("p");
      note.className = "ws-note";
      note.textContent = document.documentElement.getAttribute("data-ws-note") || "";
      if (note.textContent) { sheet.appendChild(note); }
    }
  });
})();
