// A little help where JavaScript runs; the form works without it.
// "Add a row" copies the last row of a group instead of sending the form, and the
// language switch keeps what has been typed by sending the form along.
(function () {
  "use strict";
  var form = document.getElementById("applicant");
  if (!form) return;

  function renumber(el, group, from, to) {
    var names = ["name", "id", "for", "aria-labelledby"];
    el.querySelectorAll("*").forEach(function (node) {
      names.forEach(function (attr) {
        var value = node.getAttribute(attr);
        if (!value) return;
        value = value.split(group + "[" + from + "]").join(group + "[" + to + "]");
        value = value.split("f-" + group + "-" + from + "-").join("f-" + group + "-" + to + "-");
        if (value === "f-" + group + "-" + from) value = "f-" + group + "-" + to;
        node.setAttribute(attr, value);
      });
    });
  }

  form.querySelectorAll("button.add-row").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var group = button.getAttribute("data-group");
      var rows = form.querySelector('fieldset[data-group="' + group + '"] .rows');
      var last = rows && rows.lastElementChild;
      if (!last) return;
      event.preventDefault();
      var from = parseInt(last.getAttribute("data-row"), 10);
      var to = from + 1;
      var row = last.cloneNode(true);
      row.setAttribute("data-row", String(to));
      row.id = "f-" + group + "-" + to;
      renumber(row, group, from, to);
      row.querySelectorAll("input, textarea").forEach(function (input) {
        if (input.type === "radio" || input.type === "checkbox") input.checked = false;
        else input.value = "";
        input.removeAttribute("aria-invalid");
      });
      row.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
      row.querySelectorAll(".msg").forEach(function (msg) { msg.remove(); });
      row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      var head = row.querySelector(".row-head");
      if (head) head.textContent = head.textContent.replace(String(from), String(to));
      rows.appendChild(row);
      var first = row.querySelector("input, textarea");
      if (first) first.focus();
    });
  });

  var changed = false;
  form.addEventListener("input", function () { changed = true; });
  var hasData = Array.prototype.some.call(
    form.querySelectorAll("input[type=text], input[type=email], input[type=tel], textarea"),
    function (input) { return input.value.trim() !== ""; }
  );
  var switcher = document.getElementById("lang-switch");
  var onLink = /\/f\//.test(window.location.pathname);
  if (switcher) {
    switcher.addEventListener("click", function (event) {
      if (!changed && (onLink || !hasData)) return;
      event.preventDefault();
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "switch:" + switcher.getAttribute("data-lang");
      form.appendChild(action);
      // form.action would name the "action" inputs, so go through the attribute
      var target = form.getAttribute("action").replace(/lang=\w+/, "lang=" + switcher.getAttribute("data-lang"));
      form.setAttribute("action", target);
      HTMLFormElement.prototype.submit.call(form);
    });
  }
})();
