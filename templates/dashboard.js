/* The 看板's filters (inlined into the page by reporting/dashboard/page.py; no network).
   Plain ES5 so the browsers offices have run it. Each <form data-filters="ID"> filters the
   children of #ID: <select data-attr="x"> keeps items whose data-x equals its value
   (data-multi: one of the "|"-separated values), <input data-search> keeps items whose text
   holds it, <select data-sort> orders by data-order instead of data-index.
   A link "#leader=张斌&sort=brief" sets those filters (the controls' data-hash names).
   <details data-full="i"> gets entry i of the JSON in #full-texts when first opened. */
(function () {
  "use strict";
  var forms = [];
  var blob = document.getElementById("full-texts");
  var full = null;

  // the texts 全文 opens: JSON beside the list, put in as text (never as markup) when opened
  function fullTexts() {
    if (full === null) {
      try { full = JSON.parse(blob ? blob.textContent : "[]"); } catch (e) { full = []; }
    }
    return full;
  }

  function fill(details) {
    if (details.hasAttribute("data-filled")) { return; }
    details.setAttribute("data-filled", "");
    (fullTexts()[Number(details.getAttribute("data-full"))] || []).forEach(function (block) {
      var head = document.createElement("p");
      var b = document.createElement("b");
      b.textContent = block[0];
      head.appendChild(b);
      var body = document.createElement("p");
      body.className = "full";
      block[1].forEach(function (line, i) {
        if (i) { body.appendChild(document.createElement("br")); }
        body.appendChild(document.createTextNode(line));
      });
      details.appendChild(head);
      details.appendChild(body);
    });
  }

  function searchable(el) {
    var text = el.textContent;
    var details = el.querySelector("details[data-full]");
    if (details) {
      (fullTexts()[Number(details.getAttribute("data-full"))] || []).forEach(function (block) {
        text += " " + block[0] + " " + block[1].join(" ");
      });
    }
    return text.toLowerCase();
  }

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function setup(form) {
    var box = document.getElementById(form.getAttribute("data-filters"));
    if (!box) { return; }
    var items = Array.prototype.slice.call(box.children);
    var texts = items.map(searchable);
    var shown = form.querySelector("[data-count-shown]");
    var unit = shown ? shown.getAttribute("data-unit") || "" : "";
    var controls = form.querySelectorAll("[data-attr], [data-search], [data-sort]");
    var order = "data-index";  // the page's own order

    function arrange(key) {
      if (key === order) { return; }
      order = key;
      var sorted = items.slice().sort(function (a, b) {
        return Number(a.getAttribute(key)) - Number(b.getAttribute(key));
      });
      each(sorted, function (el) { box.appendChild(el); });
    }

    function apply() {
      var rules = [];
      var query = "";
      var sort = "data-index";
      each(controls, function (c) {
        var value = (c.value || "").trim();
        if (c.hasAttribute("data-search")) { query = value.toLowerCase(); }
        else if (c.hasAttribute("data-sort")) { if (value) { sort = "data-order"; } }
        else if (value) { rules.push([c.getAttribute("data-attr"), value, c.hasAttribute("data-multi")]); }
      });
      var n = 0;
      items.forEach(function (el, i) {
        var ok = !query || texts[i].indexOf(query) >= 0;
        for (var k = 0; ok && k < rules.length; k++) {
          var have = el.getAttribute("data-" + rules[k][0]) || "";
          ok = rules[k][2] ? have.split("|").indexOf(rules[k][1]) >= 0 : have === rules[k][1];
        }
        el.hidden = !ok;
        if (ok) { n++; }
      });
      arrange(sort);
      if (shown) {
        shown.textContent = n === items.length ? "共 " + n + " " + unit : "显示 " + n + " " + unit + "（共 " + items.length + " " + unit + "）";
      }
    }

    form.hidden = false;
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    forms.push({ form: form, apply: apply, controls: controls });
    apply();
  }

  function fromHash() {
    var hash = window.location.hash.replace(/^#/, "");
    if (hash.indexOf("=") < 0) { return; }
    var pairs = hash.split("&").map(function (part) {
      var at = part.indexOf("=");
      try {
        return [decodeURIComponent(part.slice(0, at)), decodeURIComponent(part.slice(at + 1))];
      } catch (e) {
        return ["", ""];
      }
    });
    forms.forEach(function (f) {
      var hit = false;
      pairs.forEach(function (p) {
        each(f.controls, function (c) {
          if (c.getAttribute("data-hash") === p[0]) {
            if (!hit) { f.form.reset(); hit = true; }
            c.value = p[1];
          }
        });
      });
      if (hit) {
        f.apply();
        var section = f.form.parentNode;
        if (section && section.scrollIntoView) { section.scrollIntoView(); }
      }
    });
  }

  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (d && d.open && d.hasAttribute && d.hasAttribute("data-full")) { fill(d); }
  }, true);
  each(document.querySelectorAll("form[data-filters]"), setup);
  window.addEventListener("hashchange", fromHash);
  fromHash();
}());
