// The web guide's only script. A private guide arrives sealed (AES-256-GCM); this script opens
// it with the key in the link's fragment (#k=...), which never reaches any server, using the
// browser's WebCrypto. Without the right key the plain page stays: the crisis lines and a note.
// Worksheets: what the reader types is kept in this browser only (localStorage), sealed with the
// same key, never sent anywhere: the page's Content-Security-Policy allows no outside connection.
(function () {
  "use strict";
  var root = document.documentElement;
  var CONTEXT = new TextEncoder().encode("guidegen sealed guide v1");
  var prefix = "guidegen:" + location.pathname.replace(/index\.html$/, "") + ":";

  function bytes(text) {
    var binary = atob(text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "") + "===".slice((text.length + 3) % 4));
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { out[i] = binary.charCodeAt(i); }
    return out;
  }

  function text64(data) {
    var binary = "";
    for (var i = 0; i < data.length; i += 1) { binary += String.fromCharCode(data[i]); }
    return btoa(binary);
  }

  // A sealed box: 12 bytes of nonce, then the ciphertext with its tag.
  function open(key, data) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: data.slice(0, 12), additionalData: CONTEXT }, key, data.slice(12));
  }

  function close(key, plain) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: CONTEXT }, key, plain).then(function (sealed) {
      var out = new Uint8Array(12 + sealed.byteLength);
      out.set(iv, 0);
      out.set(new Uint8Array(sealed), 12);
      return out;
    });
  }

  // The opened guide replaces the plain page: its language, its classes, its body.
  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    Array.prototype.forEach.call(page.documentElement.attributes, function (attribute) {
      root.setAttribute(attribute.name, attribute.value);
    });
    document.body.className = page.body.className;
    while (document.body.firstChild) { document.body.removeChild(document.body.firstChild); }
    while (page.body.firstChild) { document.body.appendChild(document.adoptNode(page.body.firstChild)); }
    if (location.hash.indexOf("k=") < 0 && location.hash.length > 1) {
      var target = document.getElementById(location.hash.slice(1));
      if (target) { target.scrollIntoView(); }
    }
  }

  // A sealed guide or PDF is padded with spaces to a multiple of 64 KiB (its length tells nothing).
  function unpad(plain) {
    var data = new Uint8Array(plain);
    var end = data.length;
    while (end > 0 && data[end - 1] === 32) { end--; }
    return data.subarray(0, end);
  }

  function unsealed() {
    var sealed = document.getElementById("sealed-guide");
    var match = /[#&]k=([A-Za-z0-9_-]{43})(?:&|$)/.exec(location.hash);
    if (!sealed) { return Promise.resolve(null); }
    if (!match || !window.crypto || !crypto.subtle || !window.TextDecoder) { return Promise.reject(new Error("no key")); }
    return crypto.subtle.importKey("raw", bytes(match[1]), "AES-GCM", false, ["encrypt", "decrypt"]).then(function (key) {
      return open(key, bytes(sealed.textContent)).then(function (plain) {
        show(new TextDecoder().decode(unpad(plain)));
        return key;
      });
    });
  }

  unsealed().then(start, function () {
    root.classList.add("sealed-closed"); // wrong or missing key: the plain note stays
  });

  function start(key) {
    var store = openStore();
    function each(list, action) { Array.prototype.forEach.call(list, action); }

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

    function question(field) {
      var label = document.querySelector('label[for="' + field.id + '"]');
      return label ? label.textContent.replace(/\s+/g, " ").trim() : "";
    }

    // What is stored: {q, v} as JSON, sealed with the guide's key when the guide is private.
    function pack(answer) {
      var plain = new TextEncoder().encode(JSON.stringify(answer));
      if (!key) { return Promise.resolve(JSON.stringify(answer)); }
      return close(key, plain).then(function (sealed) { return "s:" + text64(sealed); });
    }

    function unpack(stored) {
      if (stored === null) { return Promise.resolve(null); }
      if (stored.indexOf("s:") !== 0) { return Promise.resolve(key ? null : JSON.parse(stored)); }
      if (!key) { return Promise.resolve(null); }
      return open(key, bytes(stored.slice(2))).then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
    }

    // An answer is kept with its question: when the guide is rebuilt and a worksheet changes,
    // an answer never shows up under a different question.
    function load(field) {
      if (!store) { return Promise.resolve(); }
      return unpack(store.getItem(prefix + field.id)).then(function (saved) {
        if (saved && typeof saved.v === "string" && saved.q === question(field)) { field.value = saved.v; fit(field); }
      }, function () { return null; });
    }

    function save(field) {
      if (!store) { return Promise.resolve(false); }
      if (field.value === field.defaultValue) {
        store.removeItem(prefix + field.id); // what the guide already says needs no copy
        return Promise.resolve(true);
      }
      return pack({ q: question(field), v: field.value }).then(function (packed) {
        store.setItem(prefix + field.id, packed);
        return true;
      }).catch(function () { return false; }); // storage full or refused
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
        fit(field);
        load(field);
        field.addEventListener("input", function () {
          fit(field);
          save(field).then(function (ok) { if (!ok) { tools(sheet, false); } });
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

    // A private guide's PDF is sealed too: fetched, opened here, and handed over as a download.
    var download = document.querySelector('a[href="guide.pdf"]');
    if (download && key) {
      download.addEventListener("click", function (event) {
        event.preventDefault();
        fetch("guide.pdf.enc", { cache: "no-store" }).then(function (response) {
          if (!response.ok) { throw new Error("missing"); }
          return response.arrayBuffer();
        }).then(function (data) { return open(key, new Uint8Array(data)); }).then(function (pdf) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(new Blob([unpad(pdf)], { type: "application/pdf" }));
          link.download = "guide.pdf";
          document.body.appendChild(link);
          link.click();
          setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
        }).catch(function () { download.textContent = root.getAttribute("data-pdf-failed") || download.textContent; });
      });
    }

    // Links inside the page land below the crisis bar, whatever its height.
    var bar = document.querySelector(".crisis-bar");
    function measure() { if (bar) { root.style.setProperty("--bar-h", bar.offsetHeight + "px"); } }
    measure();
    if (window.ResizeObserver && bar) { new window.ResizeObserver(measure).observe(bar); } else { window.addEventListener("resize", measure); }
  }
})();
