// Wegweiser web chat. No framework, no build step. Talks to /chat/api (see docs/webchat.md).
// Every text shown here comes from the server (page or API answer) in the person's language.
"use strict";

(function () {
  const root = document.getElementById("chat");
  if (!root) return;
  const api = root.dataset.api;
  const pollMs = Math.max(2, Number(root.dataset.pollSeconds || 5)) * 1000;
  const TOKEN_KEY = "wegweiser.chat.token";
  const log = document.getElementById("log");
  const form = document.getElementById("compose");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const picker = document.getElementById("language");
  const restart = document.getElementById("restart");
  const seen = new Set();
  let queue = Promise.resolve();
  let lastBot = null; // the newest bot message element
  let pollTimer = null;

  // ------------------------------------------------------------ helpers
  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    let s = "";
    bytes.forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function storedToken() {
    try { return localStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function storeToken(token) {
    try {
      if (token) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* private mode: the token lives as long as the page */ }
  }

  let token = storedToken();

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function setStatus(visible) { status.hidden = !visible; }

  const scroller = document.getElementById("scroll");
  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  // Run requests one after another, so replies arrive in order.
  function serial(task) {
    const next = queue.then(task, task);
    queue = next.catch(function () {});
    return next;
  }

  // ------------------------------------------------------------ language and page texts
  function applyLocale(locale, rtl, ui) {
    if (!locale) return;
    const html = document.documentElement;
    html.lang = locale.replace("_", "-");
    html.dir = rtl ? "rtl" : "ltr";
    root.dataset.locale = locale;
    if (picker.value !== locale) picker.value = locale;
    if (!ui) return;
    document.querySelectorAll("[data-ui]").forEach(function (el) {
      const text = ui[el.dataset.ui];
      if (text) el.textContent = text;
    });
    document.querySelectorAll("[data-ui-placeholder]").forEach(function (el) {
      const text = ui[el.dataset.uiPlaceholder];
      if (text) el.placeholder = text;
    });
    document.querySelectorAll("[data-ui-label]").forEach(function (el) {
      const text = ui[el.dataset.uiLabel];
      if (text) el.setAttribute("aria-label", text);
    });
  }

  // ------------------------------------------------------------ showing messages
  function note(text, rtl) {
    const li = document.createElement("li");
    li.className = "msg note";
    li.dir = rtl ? "rtl" : "auto";
    li.textContent = text;
    log.appendChild(li);
    scrollDown();
  }

  function mine(text) {
    const li = document.createElement("li");
    li.className = "msg me";
    const p = document.createElement("p");
    p.className = "text";
    p.dir = "auto";
    p.textContent = text;
    li.appendChild(p);
    log.appendChild(li);
    scrollDown();
  }

  function isToggle(data) { return data.slice(0, 2) === "t:"; }

  function buttonsOf(message) {
    const group = document.createElement("div");
    group.className = "buttons";
    group.setAttribute("role", "group");
    message.buttons.forEach(function (b) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = b.label;
      button.dataset.data = b.data;
      if (isToggle(b.data)) {
        button.setAttribute("aria-pressed", b.selected ? "true" : "false");
      }
      button.addEventListener("click", function () { press(button); });
      group.appendChild(button);
    });
    return group;
  }

  function disableOlderButtons() {
    log.querySelectorAll(".buttons button").forEach(function (b) { b.disabled = true; });
  }

  function show(message) {
    if (seen.has(message.id)) return;
    seen.add(message.id);
    // A toggle in a multiple choice re-asks the same question: update it in place.
    if (lastBot && message.ask && lastBot.dataset.ask === message.ask &&
        lastBot.dataset.text === message.text && message.buttons.some(function (b) { return isToggle(b.data); }) &&
        lastBot === log.lastElementChild) {
      const old = lastBot.querySelector(".buttons");
      const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.data : null;
      const fresh = buttonsOf(message);
      if (old) old.replaceWith(fresh); else lastBot.appendChild(fresh);
      if (focused) {
        const again = Array.prototype.find.call(fresh.querySelectorAll("button"), function (b) { return b.dataset.data === focused; });
        if (again) again.focus();
      }
      return;
    }
    const li = document.createElement("li");
    li.className = "msg bot";
    li.dir = message.rtl ? "rtl" : "ltr";
    li.dataset.ask = message.ask || "";
    li.dataset.text = message.text;
    const p = document.createElement("p");
    p.className = "text";
    p.textContent = message.text;
    li.appendChild(p);
    if (message.buttons && message.buttons.length) {
      disableOlderButtons();
      li.appendChild(buttonsOf(message));
    }
    log.appendChild(li);
    lastBot = li;
    scrollDown();
  }

  function showAll(body) {
    applyLocale(body.locale, body.rtl, body.ui);
    (body.messages || []).forEach(show);
  }

  // ------------------------------------------------------------ talking to the server
  async function newToken() {
    for (let wait = 1000; ; wait = Math.min(wait * 2, 30000)) {
      try {
        const r = await fetch(api + "/token", { method: "POST", headers: { "Accept": "application/json" } });
        const body = await r.json();
        if (r.ok) {
          setStatus(false);
          token = body.token;
          storeToken(token);
          return token;
        }
        if (body.error) note(body.error.message, body.error.rtl);
        const after = Number(r.headers.get("Retry-After") || 0) * 1000;
        await sleep(Math.max(wait, after));
      } catch (e) {
        setStatus(true);
        await sleep(wait);
      }
    }
  }

  // Sends one action; retried with the same key until the server answers.
  async function send(action) {
    if (!token) await newToken();
    const key = randomKey();
    for (let wait = 1000; ; wait = Math.min(wait * 2, 30000)) {
      let r, body;
      try {
        const payload = Object.assign({ token: token, key: key, locale: root.dataset.locale }, action);
        r = await fetch(api + "/messages", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: JSON.stringify(payload),
        });
        body = await r.json();
      } catch (e) {
        setStatus(true);
        await sleep(wait);
        continue;
      }
      if (r.status >= 500) {
        setStatus(true);
        await sleep(wait);
        continue;
      }
      setStatus(false);
      if (r.ok) {
        showAll(body);
        // Replies of a message already handled were delivered to the lost answer: ask again.
        if (body.duplicate && !(body.messages || []).length) {
          await send({ command: "resume" });
        }
        return true;
      }
      const error = body.error || {};
      if (error.message) note(error.message, error.rtl);
      if (error.code === "bad_token") {
        storeToken(null);
        token = null;
        await newToken();
        await begin(false);
      }
      return false;
    }
  }

  async function poll() {
    if (!token || document.hidden) return;
    try {
      const r = await fetch(api + "/messages", {
        headers: { "Accept": "application/json", "X-Chat-Token": token },
      });
      if (r.status >= 500) { setStatus(true); return; }
      setStatus(false);
      const body = await r.json();
      if (r.ok) showAll(body);
    } catch (e) {
      setStatus(true);
    }
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(function () {
      serial(poll).finally(schedulePoll);
    }, pollMs);
  }

  // ------------------------------------------------------------ what the person does
  function press(button) {
    if (button.disabled) return;
    const data = button.dataset.data;
    const group = button.parentElement;
    if (!isToggle(data)) {
      mine(button.textContent);
      disableOlderButtons();
    }
    serial(function () {
      return send({ button: data }).then(function (ok) {
        // Refused (e.g. too many requests): the question is still open, so are its buttons.
        const newest = log.querySelectorAll(".buttons");
        if (!ok && group && newest[newest.length - 1] === group) {
          group.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        }
      });
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) { input.focus(); return; }
    mine(text);
    input.value = "";
    serial(function () {
      return send({ text: text }).then(function (ok) {
        if (!ok && !input.value) input.value = text; // keep it to shorten or fix
      });
    });
    input.focus();
  });

  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  picker.addEventListener("change", function () {
    const code = picker.value;
    serial(function () { return send({ language: code }); });
  });

  restart.addEventListener("click", function () {
    serial(function () { return send({ command: "restart" }); });
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) serial(poll);
  });

  // ------------------------------------------------------------ start
  async function begin(returning) {
    const start = root.dataset.start;
    const chosen = root.dataset.langChosen === "true";
    if (returning && !start) {
      if (chosen) return send({ language: root.dataset.locale });
      return send({ command: "resume" });
    }
    if (start) await send({ command: "start", arg: start });
    if (chosen) return send({ language: root.dataset.locale });
    if (!start) return send({ command: "start" });
  }

  serial(function () {
    const returning = Boolean(token);
    return (returning ? Promise.resolve() : newToken()).then(function () { return begin(returning); });
  }).finally(schedulePoll);
})();
