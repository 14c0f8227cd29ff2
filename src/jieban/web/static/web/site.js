// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Ctrl+Enter (or Cmd+Enter) in a long text box submits its form, as Enter does elsewhere.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!target || target.tagName !== "TEXTAREA" || !target.form) return;
    event.preventDefault();
    if (typeof target.form.requestSubmit === "function") {
      target.form.requestSubmit();
    } else {
      target.form.submit();
    }
  });
})();

// Registering a call from the keyboard: Ctrl+Enter submits from any field of a form marked
// data-ctrl-enter-submits (Enter already does in one-line fields), and a select marked
// data-searchable gets a search box before it: typing narrows the options, Enter picks the
// first match and moves on to the next field.
(function () {
  "use strict";

  function submit(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!target || !target.form || target.tagName === "TEXTAREA") return; // textareas: above
    if (!target.form.hasAttribute("data-ctrl-enter-submits")) return;
    if (target.hasAttribute("data-category-search")) return; // handled below
    event.preventDefault();
    submit(target.form);
  });

  function normalised(text) {
    return (text || "").toLowerCase().replace(/\s+/g, "");
  }

  function nextField(element) {
    var fields = Array.prototype.filter.call(element.form.elements, function (item) {
      return !item.disabled && item.type !== "hidden" && item.tabIndex >= 0 && !item.hidden;
    });
    var index = fields.indexOf(element);
    return index >= 0 ? fields[index + 1] : null;
  }

  function makeSearchable(select) {
    var all = Array.prototype.map.call(select.options, function (option) {
      return { value: option.value, label: option.text, key: normalised(option.text + " " + option.value) };
    });
    var box = document.createElement("input");
    box.type = "search";
    box.autocomplete = "off";
    box.className = "select-search";
    box.setAttribute("data-category-search", "");
    box.setAttribute("aria-label", select.getAttribute("data-search-label") || "");
    box.setAttribute("aria-controls", select.id);
    box.placeholder = select.getAttribute("data-search-placeholder") || "";
    select.parentNode.insertBefore(box, select);

    function show(items) {
      var chosen = select.value;
      select.options.length = 0;
      items.forEach(function (item) {
        select.add(new Option(item.label, item.value, false, item.value === chosen));
      });
      if (items.length && !items.some(function (item) { return item.value === chosen; })) {
        select.selectedIndex = 0;
      }
    }

    box.addEventListener("input", function () {
      var term = normalised(box.value);
      var matches = term ? all.filter(function (item) { return item.key.indexOf(term) !== -1; }) : all;
      box.classList.toggle("no-match", matches.length === 0);
      // Nothing matches: keep every option rather than an empty list.
      show(matches.length ? matches : all);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submit(select.form);
      } else if (event.key === "Enter") {
        event.preventDefault(); // pick, don't submit: the content comes after the category
        var next = nextField(select);
        (next || select).focus();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      } else if (event.key === "Escape" && box.value) {
        box.value = "";
        show(all);
      }
    });
  }

  function init() {
    document.querySelectorAll("select[data-searchable]").forEach(makeSearchable);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
