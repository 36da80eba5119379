// The web guide's only script. A private guide arrives sealed (AES-256-GCM); this script opens
// it with the key in the link's fragment (#k=...), which never reaches any server, using the
// browser's WebCrypto, then takes the key out of the address bar. "Keep on this phone" keeps the
// key as a non-extractable CryptoKey in IndexedDB, so the guide opens without the link.
// Without the right key the plain page stays: the crisis lines and a note, in the browser's language.
// Opened, the guide shows one part at a time (Today first) with a menu, search and previous/next;
// without the script, or printed, it reads top to bottom.
// Worksheets: what the reader types is kept in this browser only (localStorage), sealed with the
// same key under names derived from it, never sent anywhere: the page's Content-Security-Policy
// allows no outside connection.
(function () {
  "use strict";
  var root = document.documentElement;
  var encoder = new TextEncoder();
  var CONTEXT = encoder.encode("guidegen sealed guide v1");
  var NAMES = encoder.encode("guidegen storage names v1");
  var KEY_IN_LINK = /[#&]k=([^&]*)/;
  var folder = location.pathname.replace(/index\.html$/, "");
  var prefix = "guidegen:" + folder + ":";

  function each(list, action) { Array.prototype.forEach.call(list, action); }

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

  function name64(buffer) {
    return text64(new Uint8Array(buffer)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
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

  // The link's key as two non-extractable keys: AES-GCM for the guide and the answers, and an
  // HMAC key (derived with HKDF) that names what is stored, so no name says what it holds.
  function importKeys(raw) {
    return Promise.all([
      crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]),
      crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]).then(function (base) {
        return crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: NAMES }, base,
          { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]);
      })
    ]).then(function (keys) { return { aes: keys[0], names: keys[1] }; });
  }

  // Keys kept on this phone: IndexedDB, one record per guide folder, CryptoKeys that cannot be read out.
  function keyStore(mode, action) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = indexedDB.open("guidegen", 1);
      request.onupgradeneeded = function () { request.result.createObjectStore("keys"); };
      request.onerror = function () { reject(request.error); };
      request.onsuccess = function () {
        var db = request.result;
        var transaction = db.transaction("keys", mode);
        var asked = action(transaction.objectStore("keys"));
        transaction.oncomplete = function () { db.close(); resolve(asked.result); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      };
    });
  }
  function keptKeys() { return keyStore("readonly", function (store) { return store.get(folder); }).catch(function () { return null; }); }
  function keepKeys(keys) { return keyStore("readwrite", function (store) { return store.put({ aes: keys.aes, names: keys.names }, folder); }); }
  function forgetKeys() { return keyStore("readwrite", function (store) { return store.delete(folder); }).catch(function () { return null; }); }

  // The plain page in the browser's language, with a switch between the site's languages.
  function showVersion(lang) {
    each(document.querySelectorAll(".sealed-version"), function (version) {
      var shown = version.getAttribute("data-lang") === lang;
      version.hidden = !shown;
      if (shown) { root.lang = lang; document.title = version.getAttribute("data-title") || document.title; }
    });
    each(document.querySelectorAll(".lang-switch button"), function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-lang") === lang));
    });
  }

  function plainPage(hadKey) {
    root.classList.add("sealed-closed");
    var versions = Array.prototype.map.call(document.querySelectorAll(".sealed-version"), function (v) { return v.getAttribute("data-lang"); });
    var wanted = (navigator.languages || [navigator.language || ""]).map(function (l) { return String(l).toLowerCase().split("-")[0]; });
    var lang = wanted.filter(function (l) { return versions.indexOf(l) >= 0; })[0];
    if (lang) { showVersion(lang); }
    var picker = document.querySelector(".lang-switch");
    if (picker && versions.length > 1) {
      picker.hidden = false;
      each(picker.querySelectorAll("button"), function (button) {
        button.addEventListener("click", function () { showVersion(button.getAttribute("data-lang")); });
      });
    }
    if (hadKey) { each(document.querySelectorAll(".sealed-incomplete"), function (note) { note.hidden = false; }); }
  }

  // The opened guide replaces the plain page: its language, its classes, its title, its body.
  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    Array.prototype.forEach.call(page.documentElement.attributes, function (attribute) {
      root.setAttribute(attribute.name, attribute.value);
    });
    document.body.className = page.body.className;
    if (page.title) { document.title = page.title; }
    while (document.body.firstChild) { document.body.removeChild(document.body.firstChild); }
    while (page.body.firstChild) { document.body.appendChild(document.adoptNode(page.body.firstChild)); }
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
    if (!sealed) { return Promise.resolve(null); }
    var match = KEY_IN_LINK.exec(location.hash);
    if (match) { history.replaceState(history.state, "", location.pathname + location.search); }
    var fail = function (error) { error.hadKey = Boolean(match); throw error; };
    if (!window.crypto || !crypto.subtle || !window.TextDecoder) { return Promise.reject(new Error("no WebCrypto")).catch(fail); }
    var keys;
    if (match) {
      keys = /^[A-Za-z0-9_-]{43}$/.test(match[1]) ? importKeys(bytes(match[1])) : Promise.reject(new Error("cut off"));
    } else {
      keys = keptKeys();
    }
    return keys.then(function (found) {
      if (!found) { throw new Error("no key"); }
      return open(found.aes, bytes(sealed.textContent)).then(function (plain) {
        show(new TextDecoder().decode(unpad(plain)));
        found.kept = !match;
        return found;
      });
    }).catch(fail);
  }

  unsealed().then(start, function (error) { plainPage(error.hadKey); });

  // A link with a key pasted into the same tab: open it.
  window.addEventListener("hashchange", function () { if (KEY_IN_LINK.test(location.hash)) { location.reload(); } });

  function start(keys) {
    var key = keys ? keys.aes : null;
    var store = openStore();
    var mine = prefix; // what this guide's stored names start with
    var nameOf = {};
    var fieldOf = {};

    // Installable and offline, when served over http(s) (a guide opened from a folder can be neither):
    // the manifest and the service worker sit beside the page (manifest.webmanifest, sw.js).
    if (/^https?:$/.test(location.protocol) && !document.querySelector('link[rel="manifest"]')) {
      var manifest = document.createElement("link");
      manifest.rel = "manifest";
      manifest.href = "manifest.webmanifest";
      document.head.appendChild(manifest);
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(function () { return null; });
      }
    }

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

    function sign(text) {
      return crypto.subtle.sign("HMAC", keys.names, encoder.encode(text)).then(name64);
    }

    function question(field) {
      var label = document.querySelector('label[for="' + field.id + '"]');
      return label ? label.textContent.replace(/\s+/g, " ").trim() : "";
    }

    // What is stored: {q, v} as JSON, sealed with the guide's key when the guide is private.
    function pack(answer) {
      var plain = encoder.encode(JSON.stringify(answer));
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
      return unpack(store.getItem(nameOf[field.id])).then(function (saved) {
        if (saved && typeof saved.v === "string" && saved.q === question(field)) { field.value = saved.v; fit(field); }
      }, function () { return null; });
    }

    function save(field) {
      if (!store) { return Promise.resolve(false); }
      if (field.value === field.defaultValue) {
        store.removeItem(nameOf[field.id]); // what the guide already says needs no copy
        return Promise.resolve(true);
      }
      return pack({ q: question(field), v: field.value }).then(function (packed) {
        store.setItem(nameOf[field.id], packed);
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

    function tools(sheet, saved, status) {
      var box = sheet.querySelector(".ws-tools");
      if (!box) {
        box = document.createElement("div");
        box.className = "ws-tools";
        var note = document.createElement("p");
        note.className = "ws-note";
        box.appendChild(note);
        var done = document.createElement("p");
        done.className = "ws-saved";
        done.setAttribute("role", "status");
        box.appendChild(done);
        if (store) {
          var clear = document.createElement("button");
          clear.type = "button";
          clear.className = "ws-clear";
          clear.textContent = root.getAttribute("data-ws-clear") || "Clear";
          clear.addEventListener("click", function () { clearSheet(sheet); });
          box.appendChild(clear);
        }
        sheet.insertBefore(box, sheet.querySelector(":scope > .crisis-box, :scope > .to-contents"));
      }
      box.querySelector(".ws-note").textContent = root.getAttribute(saved ? "data-ws-note" : "data-ws-unsaved") || "";
      box.querySelector(".ws-saved").textContent = status || "";
    }

    function clearSheet(sheet) {
      var ask = root.getAttribute("data-ws-confirm");
      if (ask && typeof window.confirm === "function" && !window.confirm(ask)) { return; }
      each(sheet.querySelectorAll("textarea"), function (field) {
        field.value = field.defaultValue;
        save(field);
        fit(field);
      });
      tools(sheet, true, "");
    }

    // Storage names: with a key, "guidegen:" + a tag of this guide + an HMAC of the field's id;
    // without one (an open guide), the folder and the field's id.
    var sheets = Array.prototype.filter.call(document.querySelectorAll(".worksheet, .safety-plan"), function (sheet) {
      return sheet.querySelector("textarea");
    });
    var fields = [];
    each(sheets, function (sheet) { each(sheet.querySelectorAll("textarea"), function (field) { fields.push(field); }); });
    var named = keys ? sign("guide").then(function (tag) {
      mine = "guidegen:" + tag.slice(0, 11) + ":";
      return Promise.all(fields.map(function (field) {
        return sign("answer " + field.id).then(function (name) { nameOf[field.id] = mine + name.slice(0, 22); });
      }));
    }) : Promise.resolve(fields.forEach(function (field) { nameOf[field.id] = prefix + field.id; }));

    named.then(function () {
      fields.forEach(function (field) { fieldOf[nameOf[field.id]] = field; });
      each(sheets, function (sheet) {
        each(sheet.querySelectorAll("textarea"), function (field) {
          fit(field);
          load(field);
          field.addEventListener("input", function () {
            fit(field);
            save(field).then(function (ok) { tools(sheet, ok, ok ? root.getAttribute("data-ws-saved") : ""); });
          });
        });
        tools(sheet, Boolean(store));
      });
    });

    // Another tab of the same guide changed an answer: show it here too.
    window.addEventListener("storage", function (event) {
      var field = event.key && fieldOf[event.key];
      if (field) {
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
    each(key ? document.querySelectorAll('a[href="guide.pdf"]') : [], function (download) {
      download.addEventListener("click", function (event) {
        event.preventDefault();
        fetch("guide.pdf.enc", { cache: "no-cache" }).then(function (response) {
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
    });

    // "Keep on this phone" and "Forget on this phone".
    var device = document.querySelector(".today-device");
    if (device && keys && window.indexedDB) {
      var keepButton = device.querySelector(".keep-button");
      var deviceStatus = device.querySelector(".today-device-status");
      device.hidden = false;
      keepButton.hidden = Boolean(keys.kept);
      if (keys.kept) { deviceStatus.textContent = root.getAttribute("data-kept") || ""; }
      keepButton.addEventListener("click", function () {
        keepKeys(keys).then(function () {
          keepButton.hidden = true;
          deviceStatus.textContent = root.getAttribute("data-kept") || "";
        }, function () { return null; });
      });
      device.querySelector(".forget-button").addEventListener("click", function () {
        var ask = root.getAttribute("data-forget-confirm");
        if (ask && typeof window.confirm === "function" && !window.confirm(ask)) { return; }
        forget().then(function () { location.replace(location.pathname); });
      });
    }

    function forget() {
      if (store) {
        var names = [];
        for (var i = 0; i < store.length; i += 1) { names.push(store.key(i)); }
        names.filter(function (name) { return name && name.indexOf(mine) === 0; }).forEach(function (name) { store.removeItem(name); });
      }
      var worker = "serviceWorker" in navigator ? navigator.serviceWorker.getRegistration().then(function (registration) {
        if (!registration) { return null; }
        return (window.caches ? caches.delete("guide " + registration.scope) : Promise.resolve()).then(function () { return registration.unregister(); });
      }) : Promise.resolve();
      return Promise.all([forgetKeys(), worker.catch(function () { return null; })]);
    }

    parts();

    // Links inside the page land below the crisis bar, whatever its height.
    var bar = document.querySelector(".crisis-bar");
    function measure() { if (bar) { root.style.setProperty("--bar-h", bar.offsetHeight + "px"); } }
    measure();
    if (window.ResizeObserver && bar) { new window.ResizeObserver(measure).observe(bar); } else { window.addEventListener("resize", measure); }
  }

  // One part at a time: Today, then each part and module of the guide, with the contents as a
  // menu, previous/next, search, and the back button (history entries are #<part id>, never the key).
  function parts() {
    var main = document.getElementById("main");
    var today = document.getElementById("today");
    var search = document.getElementById("search");
    var toc = document.getElementById("contents");
    var appBar = document.querySelector(".app-bar");
    var pager = document.querySelector(".pager");
    if (!main || !today || !search || !toc || !appBar || !pager) { return; }
    var menuButton = appBar.querySelector(".app-menu");
    var list = [];
    each(main.children, function (child) {
      if (child === search || child.tagName !== "SECTION") { return; }
      if (child.classList.contains("guide-section")) {
        each(child.querySelectorAll(":scope > .module"), function (module) { list.push(module); });
      } else {
        list.push(child);
      }
    });
    var current = null;

    startHere(today);

    function partFor(element) {
      if (!element || element === main || !main.contains(element)) { return null; }
      if (element.classList.contains("guide-section")) { return element.querySelector(".module"); }
      var module = element.closest(".module");
      if (module) { return module; }
      var section = element.closest(".guide-section");
      if (section) { return section.querySelector(".module"); }
      while (element.parentElement !== main) { element = element.parentElement; }
      return element === search || list.indexOf(element) >= 0 ? element : null;
    }

    function titleOf(part) {
      var heading = part.querySelector("h2, h3");
      if (!heading) { return ""; }
      return (heading.firstChild && heading.firstChild.nodeType === 3 ? heading.firstChild.textContent : heading.textContent).trim();
    }

    function headingOf(part) { return part.querySelector("h2, h3"); }

    function go(target, push, move) {
      var part = partFor(target);
      if (!part) { return false; }
      current = part;
      each(list.concat([search]), function (p) { p.classList.toggle("current", p === part); });
      search.hidden = part !== search;
      each(main.querySelectorAll(".guide-section"), function (section) { section.classList.toggle("holds-current", section.contains(part)); });
      each(toc.querySelectorAll("a[href^='#']"), function (link) {
        var here = link.getAttribute("href") === "#" + part.id;
        if (here) { link.setAttribute("aria-current", "location"); } else { link.removeAttribute("aria-current"); }
      });
      var index = list.indexOf(part);
      pager.hidden = index < 0;
      [[".pager-prev", list[index - 1]], [".pager-next", list[index + 1]]].forEach(function (pair) {
        var link = pager.querySelector(pair[0]);
        link.hidden = !pair[1];
        if (pair[1]) {
          link.setAttribute("href", "#" + pair[1].id);
          link.querySelector(".pager-title").textContent = titleOf(pair[1]);
        }
      });
      closeMenu(false);
      if (push) { history.pushState(null, "", "#" + target.id); }
      if (target === part || target === headingOf(part)) { window.scrollTo(0, 0); } else { target.scrollIntoView(); }
      if (move) {
        var heading = headingOf(part);
        if (heading) {
          if (!heading.hasAttribute("tabindex")) { heading.setAttribute("tabindex", "-1"); }
          heading.focus({ preventScroll: true });
        }
      }
      if (part === search) { document.getElementById("search-input").focus({ preventScroll: true }); }
      return true;
    }

    function openMenu() {
      document.body.classList.add("menu-open");
      menuButton.setAttribute("aria-expanded", "true");
      var here = toc.querySelector("a[aria-current]") || toc.querySelector("a");
      if (here) { here.focus(); }
    }

    function closeMenu(refocus) {
      if (!document.body.classList.contains("menu-open")) { return; }
      document.body.classList.remove("menu-open");
      menuButton.setAttribute("aria-expanded", "false");
      if (refocus) { menuButton.focus(); }
    }

    menuButton.addEventListener("click", function () {
      if (document.body.classList.contains("menu-open")) { closeMenu(true); } else { openMenu(); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { closeMenu(true); }
    });

    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
      var id = decodeURIComponent(link.getAttribute("href").slice(1));
      if (id === "contents") { event.preventDefault(); openMenu(); return; }
      var target = document.getElementById(id);
      if (!partFor(target)) { return; } // the skip link, the cover: the browser's own way
      event.preventDefault();
      go(target, true, true);
      var word = link.getAttribute("data-find");
      if (word) { reveal(current, word); }
    });

    window.addEventListener("popstate", function () {
      go(document.getElementById(decodeURIComponent(location.hash.slice(1))) || today, false, true);
    });

    // Search: over the opened guide's text, in this browser; nothing is sent or published.
    var input = document.getElementById("search-input");
    var status = search.querySelector(".search-status");
    var results = search.querySelector(".search-results");
    var texts = null;

    function fold(text) {
      var out = "";
      for (var i = 0; i < text.length; i += 1) { out += text.charAt(i).toLowerCase().normalize("NFD").charAt(0); }
      return out;
    }

    function find(query) {
      var words = fold(query).split(/\s+/).filter(function (word) { return word.length > 1; });
      while (results.firstChild) { results.removeChild(results.firstChild); }
      if (!words.length) { status.textContent = ""; return; }
      texts = texts || list.map(function (part) {
        var pieces = [];
        var walker = document.createTreeWalker(part, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) { pieces.push(walker.currentNode.textContent); }
        var text = pieces.join(" ").replace(/\s+/g, " ").trim();
        return { part: part, text: text, folded: fold(text) };
      });
      var found = texts.filter(function (item) {
        return item.part !== today && words.every(function (word) { return item.folded.indexOf(word) >= 0; });
      });
      status.textContent = found.length ? (root.getAttribute("data-search-found") || "{n}").replace("{n}", String(found.length)) : root.getAttribute("data-search-none") || "";
      found.slice(0, 40).forEach(function (item) {
        var at = item.folded.indexOf(words[0]);
        var from = Math.max(0, at - 60);
        if (from) { from = Math.min(at, item.text.indexOf(" ", from) + 1); }
        var entry = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + item.part.id;
        link.setAttribute("data-find", words[0]);
        link.textContent = titleOf(item.part);
        var line = document.createElement("p");
        line.className = "search-line";
        line.textContent = (from ? "… " : "") + item.text.slice(from, at + 100) + (at + 100 < item.text.length ? " …" : "");
        entry.appendChild(link);
        entry.appendChild(line);
        results.appendChild(entry);
      });
    }

    function reveal(part, word) {
      var walker = document.createTreeWalker(part, NodeFilter.SHOW_TEXT);
      var previous = main.querySelector(".search-hit");
      if (previous) { previous.classList.remove("search-hit"); }
      while (walker.nextNode()) {
        if (fold(walker.currentNode.textContent).indexOf(word) >= 0) {
          var block = walker.currentNode.parentElement.closest("p, li, h2, h3, h4, td, th, blockquote, dd, figcaption") || walker.currentNode.parentElement;
          block.classList.add("search-hit");
          block.scrollIntoView({ block: "center" });
          return;
        }
      }
    }

    input.addEventListener("input", function () { find(input.value); });
    search.querySelector("form").addEventListener("submit", function (event) { event.preventDefault(); find(input.value); });

    document.body.classList.add("app");
    appBar.hidden = false;
    var first = location.hash.length > 1 && !KEY_IN_LINK.test(location.hash) ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    go(partFor(first) ? first : today, false, false);
  }

  // "Start here" (when the guide has one) also shows on Today: a copy without its ids, its
  // headings one level down.
  function startHere(today) {
    var section = document.getElementById("start-here");
    var slot = today.querySelector(".today-start");
    if (!section || !slot) { return; }
    var copy = section.cloneNode(true);
    each(copy.querySelectorAll("[id], [aria-labelledby], [aria-describedby], [tabindex]"), function (node) {
      node.removeAttribute("id");
      node.removeAttribute("aria-labelledby");
      node.removeAttribute("aria-describedby");
      node.removeAttribute("tabindex");
    });
    each(copy.querySelectorAll("h2, h3, h4, h5"), function (heading) {
      var lower = document.createElement("h" + Math.min(6, Number(heading.tagName.charAt(1)) + 1));
      while (heading.firstChild) { lower.appendChild(heading.firstChild); }
      heading.parentNode.replaceChild(lower, heading);
    });
    each(copy.querySelectorAll(".to-contents"), function (node) { node.remove(); });
    while (copy.firstChild) { slot.appendChild(copy.firstChild); }
    slot.hidden = false;
  }
})();
