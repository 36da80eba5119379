// The web guide's only script. Worksheets: what the reader types is kept in this browser only
// (localStorage), never sent anywhere: the page's Content-Security-Policy allows no connection.
// Plain ES5, so that old phones run it; without it the guide still reads, calls and prints.
(function () {
  "use strict";
  var root = document.documentElement;
  var guide = root.getAttribute("data-guide") || location.pathname.replace(/index\.html$/, "");
  var prefix = "guidegen:" + guide + ":";
  var store = openStore();

  function openStore() {
    try {
      var storage = window.localStorage;
      storage.setItem(prefix + "probe", "1");
      storage.removeItem(prefix + "probe");
      return storage;
    } catch (error) {
      return null; // private mode, storage turned off, or a browser without it
    }
  }

  function each(list, action) { Array.prototype.forEach.call(list, action); }

  function question(field) {
    var label = document.querySelector('label[for="' + field.id + '"]');
    return label ? label.textContent.replace(/\s+/g, " ").trim() : "";
  }

  // An answer is kept with its question: when the guide is rebuilt and a worksheet changes,
  // an answer never shows up under a different question.
  function load(field) {
    if (!store) { return; }
    var saved = null;
    try { saved = JSON.parse(store.getItem(prefix + field.id)); } catch (error) { saved = null; }
    if (saved && typeof saved.v === "string" && saved.q === question(field)) { field.value = saved.v; }
  }

  function save(field) {
    if (!store) { return false; }
    try {
      if (field.value === field.defaultValue) {
        store.removeItem(prefix + field.id); // what the guide already says needs no copy
      } else {
        store.setItem(prefix + field.id, JSON.stringify({ q: question(field), v: field.value }));
      }
      return true;
    } catch (error) {
      return false; // storage full or refused
    }
  }

  // A field grows with its answer; the style sheet decides its size otherwise.
  function fit(field) {
    field.style.height = "";
    if (field.scrollHeight > field.clientHeight) {
      field.style.height = field.scrollHeight + (field.offsetHeight - field.clientHeight) + "px";
    }
  }

  function tools(sheet, saved) {
    var box = sheet.querySelector(".ws-tools");
    if (!box) {
      box = document.createElement("div");
      box.className = "ws-tools";
      var note = document.createElement("p");
      note.className = "ws-note";
      box.appendChild(note);
      if (store) {
        var clear = document.createElement("button");
        clear.type = "button";
        clear.className = "ws-clear";
        clear.textContent = root.getAttribute("data-ws-clear") || "Clear";
        clear.addEventListener("click", function () { clearSheet(sheet); });
        box.appendChild(clear);
      }
      sheet.appendChild(box);
    }
    box.querySelector(".ws-note").textContent = root.getAttribute(saved ? "data-ws-note" : "data-ws-unsaved") || "";
  }

  function clearSheet(sheet) {
    var ask = root.getAttribute("data-ws-confirm");
    if (ask && typeof window.confirm === "function" && !window.confirm(ask)) { return; }
    each(sheet.querySelectorAll("textarea"), function (field) {
      field.value = field.defaultValue;
      save(field);
      fit(field);
    });
  }

  each(document.querySelectorAll(".worksheet"), function (sheet) {
    each(sheet.querySelectorAll("textarea"), function (field) {
      load(field);
      fit(field);
      field.addEventListener("input", function () {
        fit(field);
        if (!save(field)) { tools(sheet, false); }
      });
    });
    tools(sheet, Boolean(store));
  });

  // Another tab of the same guide changed an answer: show it here too.
  window.addEventListener("storage", function (event) {
    if (!event.key || event.key.indexOf(prefix) !== 0) { return; }
    var field = document.getElementById(event.key.slice(prefix.length));
    if (field && field.tagName === "TEXTAREA") {
      field.value = field.defaultValue;
      load(field);
      fit(field);
    }
  });

  // Long answers print in full.
  window.addEventListener("beforeprint", function () { each(document.querySelectorAll(".ws-field textarea"), fit); });

  var printButton = document.querySelector(".print-button");
  if (printButton && typeof window.print === "function") {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }

  // Links inside the page land below the crisis bar, whatever its height.
  var bar = document.querySelector(".crisis-bar");
  function measure() { if (bar) { root.style.setProperty("--bar-h", bar.offsetHeight + "px"); } }
  measure();
  if (window.ResizeObserver && bar) { new window.ResizeObserver(measure).observe(bar); } else { window.addEventListener("resize", measure); }
})();
