// Help where JavaScript runs; the form works without it (every button is a submit the
// server understands). Here: parts shown as soon as the programme changes, rows added and
// deleted in place, downloads with a busy state, a warning before leaving unsaved answers,
// and the language switch keeping what was typed.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("applicant");
  var summary = document.getElementById("errors") || document.getElementById("complete");
  if (summary && document.activeElement !== summary) summary.focus();
  if (!form) return;

  // ---- what applies to the chosen programme and grade
  var select = document.getElementById("f-programme-grade");
  function applyChoice() {
    var value = select.value;
    document.querySelectorAll("[data-show-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-for").split(" ").indexOf(value) < 0;
    });
    var list = document.getElementById("download-list");
    var none = document.getElementById("download-none");
    if (list) list.hidden = !value;
    if (none) none.hidden = !!value;
  }
  if (select) select.addEventListener("change", applyChoice);

  // ---- rows
  var ATTRS = ["name", "id", "for", "aria-labelledby", "aria-describedby", "value"];
  function renumber(row, group, from, to) {
    row.setAttribute("data-row", String(to));
    [row].concat(Array.prototype.slice.call(row.querySelectorAll("*"))).forEach(function (node) {
      ATTRS.forEach(function (attr) {
        var value = node.getAttribute(attr);
        if (!value) return;
        if (attr === "value" && !/^delete:/.test(value)) return;
        value = value.split(group + "[" + from + "]").join(group + "[" + to + "]");
        value = value.split("f-" + group + "-" + from + "-").join("f-" + group + "-" + to + "-");
        value = value.split("delete:" + group + ":" + from).join("delete:" + group + ":" + to);
        if (value === "f-" + group + "-" + from) value = "f-" + group + "-" + to;
        node.setAttribute(attr, value);
      });
    });
    row.querySelectorAll(".row-number").forEach(function (span) { span.textContent = String(to); });
  }
  function clearInputs(scope) {
    scope.querySelectorAll("input, textarea").forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") input.checked = false;
      else input.value = "";
      input.removeAttribute("aria-invalid");
    });
    scope.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
    scope.querySelectorAll(".field-msg").forEach(function (m) { m.remove(); });
    scope.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    scope.querySelectorAll("[aria-describedby]").forEach(function (el) {
      var kept = el.getAttribute("aria-describedby").split(" ").filter(function (id) { return !/^m\d+-/.test(id); });
      if (kept.length) el.setAttribute("aria-describedby", kept.join(" "));
      else el.removeAttribute("aria-describedby");
    });
    changed();
  }
  function rowsOf(group) {
    return form.querySelector('fieldset[data-group="' + group + '"] .rows');
  }
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var group = button.getAttribute("data-group");
    if (button.classList.contains("add-row")) {
      var rows = rowsOf(group);
      var last = rows && rows.lastElementChild;
      if (!last) return;
      event.preventDefault();
      var from = parseInt(last.getAttribute("data-row"), 10);
      var row = last.cloneNode(true);
      renumber(row, group, from, from + 1);
      clearInputs(row);
      rows.appendChild(row);
      var first = row.querySelector("input, textarea");
      if (first) first.focus();
    } else if (button.classList.contains("delete-row")) {
      event.preventDefault();
      var gone = button.closest(".row");
      var all = rowsOf(group).children;
      if (all.length === 1) {
        clearInputs(gone);
        var input = gone.querySelector("input, textarea");
        if (input) input.focus();
        return;
      }
      var next = gone.nextElementSibling || gone.previousElementSibling;
      var number = parseInt(gone.getAttribute("data-row"), 10);
      gone.remove();
      Array.prototype.slice.call(rowsOf(group).children).forEach(function (row) {
        var n = parseInt(row.getAttribute("data-row"), 10);
        if (n > number) renumber(row, group, n, n - 1);
      });
      changed();
      var head = next && next.querySelector("h3");
      if (head) { head.setAttribute("tabindex", "-1"); head.focus(); }
    } else if (button.classList.contains("clear-competence")) {
      event.preventDefault();
      var box = button.closest("details");
      clearInputs(box);
      var area = box.querySelector("textarea");
      if (area) area.focus();
    }
  });

  // ---- unsaved answers: compared by a hash kept for this tab only, never the answers
  var KEY = "formgen-saved";
  var submitting = false;
  function snapshot() {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && value.trim() && ["lang", "checked", "page", "link"].indexOf(name) < 0) parts.push(name + "=" + value);
    });
    return parts.join("\n");
  }
  function hash(text) {
    var h = 5381;
    for (var i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
    return String(h) + ":" + text.length;
  }
  function markSaved() {
    try { sessionStorage.setItem(KEY, hash(snapshot())); } catch (e) { /* storage off: warn always */ }
  }
  function unsaved() {
    var now = snapshot();
    if (!now) return false;
    try { return sessionStorage.getItem(KEY) !== hash(now); } catch (e) { return true; }
  }
  var edited = false;
  function changed() { edited = true; }
  if (form.hasAttribute("data-clean")) markSaved();
  form.addEventListener("input", changed);
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // ---- downloads: fetched, so the button can say it is busy and a double click does nothing
  var note = document.getElementById("busy-note");
  var section = document.getElementById("download");
  function say(text) { if (note) note.textContent = text || ""; }
  function filename(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) return decodeURIComponent(star[1]);
    var plain = /filename="([^"]+)"/i.exec(header);
    return plain ? plain[1] : "download";
  }
  var saved = null;  // the last file, kept for the page's "save it again" link
  function download(button) {
    if (button.getAttribute("aria-busy") === "true") return;
    if (saved) { URL.revokeObjectURL(saved); saved = null; }
    var data = new FormData(form);
    data.append(button.name, button.value);
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    say(section && section.getAttribute("data-busy"));
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected) { submitting = true; window.location.assign(response.url); return null; }
        var disposition = response.headers.get("Content-Disposition") || "";
        if (response.ok && /attachment/i.test(disposition)) {
          return response.blob().then(function (blob) {
            var link = document.createElement("a");
            saved = link.href = URL.createObjectURL(blob);
            link.download = filename(response);
            document.body.appendChild(link);
            link.click();
            link.remove();
            if (button.getAttribute("data-download") === "save") markSaved();
            say(section && section.getAttribute("data-done"));
            if (note && section) {
              // in case the browser did not save it (a setting, a blocker): the same file again
              var again = document.createElement("a");
              again.id = "download-again";
              again.href = link.href;
              again.download = link.download;
              again.textContent = section.getAttribute("data-again");
              note.appendChild(document.createTextNode(" "));
              note.appendChild(again);
            }
          });
        }
        return response.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var alert = page.querySelector(".alert");
          if (alert) { say(alert.textContent); return; }
          submitting = true;
          document.open(); document.write(html); document.close();
        });
      })
      .catch(function () { say(section && section.getAttribute("data-failed")); })
      .then(function () { button.removeAttribute("aria-busy"); button.disabled = false; });
  }
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && (button.hasAttribute("data-download") || button.hasAttribute("data-fetch")) && window.fetch && window.FormData) {
      event.preventDefault();
      download(button);
      return;
    }
    submitting = true;
  });

  // ---- the language switch keeps what has been typed
  var switcher = document.getElementById("lang-switch");
  if (switcher) {
    switcher.addEventListener("click", function (event) {
      if (!edited) return;
      event.preventDefault();
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "switch:" + switcher.getAttribute("data-lang");
      form.appendChild(action);
      var target = form.getAttribute("action").replace(/lang=\w+/, "lang=" + switcher.getAttribute("data-lang"));
      form.setAttribute("action", target);
      submitting = true;
      HTMLFormElement.prototype.submit.call(form);
    });
  }
})();
