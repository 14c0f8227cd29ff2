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
// data-ctrl-enter-submits (Enter already does in one-line fields), with the submit button of
// the field's own fieldset if it has one (登记并交办 beside the unit), else the form's first
// (登记, as Enter). A select marked data-searchable gets a search box before it: typing
// narrows the options (keeping their <optgroup>s), Enter picks the first match and moves on
// to the next field.
(function () {
  "use strict";

  function submitterFor(element) {
    var fieldset = element.closest("fieldset");
    var own = fieldset ? fieldset.querySelector('button[type="submit"]') : null;
    return own || element.form.querySelector('button[type="submit"]');
  }

  function submit(form, from) {
    var button = from ? submitterFor(from) : null;
    if (typeof form.requestSubmit === "function") {
      if (button) {
        form.requestSubmit(button);
      } else {
        form.requestSubmit();
      }
    } else if (button) {
      button.click();
    } else {
      form.submit();
    }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!target || !target.form || target.tagName === "TEXTAREA") return; // textareas: above
    if (!target.form.hasAttribute("data-ctrl-enter-submits")) return;
    if (target.hasAttribute("data-select-search")) return; // handled below
    event.preventDefault();
    submit(target.form, target);
  });

  function normalised(text) {
    return (text || "").toLowerCase().replace(/\s+/g, "");
  }

  function nextField(element) {
    var fields = Array.prototype.filter.call(element.form.elements, function (item) {
      return !item.disabled && item.type !== "hidden" && item.tabIndex >= 0 && !item.hidden &&
        item.tagName !== "FIELDSET";
    });
    var index = fields.indexOf(element);
    return index >= 0 ? fields[index + 1] : null;
  }

  // The select's options as {value, label, key, group}: group is the <optgroup>'s label or null.
  function optionsOf(select) {
    return Array.prototype.map.call(select.options, function (option) {
      var parent = option.parentNode;
      var group = parent && parent.tagName === "OPTGROUP" ? parent.label : null;
      return {
        value: option.value,
        label: option.text,
        key: normalised(option.text + " " + option.value + " " + (group || "")),
        group: group
      };
    });
  }

  function makeSearchable(select) {
    // Once per select: the registration page's unit picker comes back by htmx.
    if (select.hasAttribute("data-search-ready")) return;
    select.setAttribute("data-search-ready", "");
    var all = optionsOf(select);
    var box = document.createElement("input");
    box.type = "search";
    box.autocomplete = "off";
    box.className = "select-search";
    box.setAttribute("data-select-search", "");
    box.setAttribute("aria-label", select.getAttribute("data-search-label") || "");
    box.setAttribute("aria-controls", select.id);
    box.placeholder = select.getAttribute("data-search-placeholder") || "";
    select.parentNode.insertBefore(box, select);

    // Rebuild the list from `items`, each under its group's <optgroup> as before.
    function show(items) {
      var chosen = select.value;
      while (select.firstChild) select.removeChild(select.firstChild);
      var groups = {};
      items.forEach(function (item) {
        var option = new Option(item.label, item.value, false, item.value === chosen);
        if (item.group === null) {
          select.appendChild(option);
          return;
        }
        if (!groups[item.group]) {
          groups[item.group] = document.createElement("optgroup");
          groups[item.group].label = item.group;
          select.appendChild(groups[item.group]);
        }
        groups[item.group].appendChild(option);
      });
      if (items.length && !items.some(function (item) { return item.value === chosen; })) {
        select.selectedIndex = 0;
      }
    }

    box.addEventListener("input", function () {
      var term = normalised(box.value);
      var matches = term ? all.filter(function (item) {
        return item.value !== "" && item.key.indexOf(term) !== -1;
      }) : all;
      box.classList.toggle("no-match", matches.length === 0);
      // Nothing matches: keep every option rather than an empty list.
      show(matches.length ? matches : all);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submit(select.form, select);
      } else if (event.key === "Enter") {
        event.preventDefault(); // pick, don't submit: more fields (or their button) come after
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
  // The registration page: the grid and unit suggested from the address come back with the
  // unit picker, the suggested unit first; it gets its search box again, and an empty grid
  // takes the suggested one.
  document.addEventListener("htmx:afterSettle", function (event) {
    var box = event.detail && event.detail.target;
    if (!box || box.id !== "place-suggestion") return;
    document.querySelectorAll("#unit-picker select[data-searchable]").forEach(makeSearchable);
    var hint = box.querySelector("[data-suggested-grid]");
    var grid = document.getElementById("id_grid");
    if (hint && grid && !grid.value) grid.value = hint.getAttribute("data-suggested-grid");
  });
  // The picker that comes back replaces the one being typed in: what was typed in its search,
  // the unit it shows and where the keyboard was go over to the new one, so a dispatcher
  // typing while the suggestion arrives loses nothing (the next key still lands in it).
  var carried = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var old = event.detail && event.detail.target;
    if (!old || old.id !== "unit-picker") return;
    var box = old.querySelector("[data-select-search]");
    var select = old.querySelector("select");
    carried = {
      term: box ? box.value : "",
      value: select ? select.value : "",
      focus: document.activeElement === box ? "box" : document.activeElement === select ? "select" : ""
    };
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var picker = document.getElementById("unit-picker");
    var select = picker && picker.querySelector("select[data-searchable]");
    var state = carried;
    carried = null;
    if (!select || !state) return;
    makeSearchable(select);
    var box = picker.querySelector("[data-select-search]");
    if (box && state.term) {
      box.value = state.term;
      box.dispatchEvent(new Event("input"));
    }
    var kept = Array.prototype.some.call(select.options, function (option) {
      return option.value === state.value;
    });
    if (state.value && kept) select.value = state.value;
    if (state.focus === "box" && box) box.focus();
    else if (state.focus === "select") select.focus();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

// Reporting from the phone: "Share my location" puts the phone's position (WGS-84) into the
// form's hidden latitude and longitude; a form marked data-sends-once disables its button
// once sent, so a second press sends nothing (the server also makes one ticket per key).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-geolocate]") : null;
    if (!button || !button.form) return;
    var status = button.form.querySelector("[data-geolocate-status]");
    if (!navigator.geolocation) {
      if (status) status.textContent = button.getAttribute("data-failed");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (position) {
        button.form.elements.latitude.value = position.coords.latitude.toFixed(6);
        button.form.elements.longitude.value = position.coords.longitude.toFixed(6);
        if (status) status.textContent = button.getAttribute("data-located");
      },
      function () {
        if (status) status.textContent = button.getAttribute("data-failed");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-sends-once")) return;
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
  });
})();

// The categories the content suggests (registration page): a click on one puts it in the
// category field (its search box cleared, so every option is there to pick); Alt+1, from
// anywhere on the page, takes the first.
(function () {
  "use strict";
  function take(button) {
    var select = button.form ? button.form.elements.category : document.getElementById("id_category");
    if (!select) return;
    var box = select.previousElementSibling;
    if (box && box.hasAttribute("data-select-search") && box.value) {
      box.value = "";
      box.dispatchEvent(new Event("input"));
    }
    select.value = button.getAttribute("data-suggested-category");
    select.dispatchEvent(new Event("change", { bubbles: true }));
    document.querySelectorAll("[data-suggested-category]").forEach(function (other) {
      other.setAttribute("aria-pressed", other === button ? "true" : "false");
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-suggested-category]") : null;
    if (button) take(button);
  });
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.code !== "Digit1") return;
    var first = document.querySelector("[data-suggested-category]");
    if (!first) return;
    event.preventDefault();
    take(first);
  });
})();
