/* Rows of a Django formset added and removed in place (templates/agreements/_formset.html).
   Add: the empty form's <template> is cloned with the next index and TOTAL_FORMS grows by one.
   Remove: the row's DELETE box is ticked and the row hidden, so the server drops it at the save (Django skips the
   validation of deleted rows); rows keep their indexes, so nothing has to be renumbered. */
(function () {
  "use strict";

  function setup(box) {
    if (box.dataset.formsetReady) return;
    box.dataset.formsetReady = "1";
    var prefix = box.dataset.formset;
    var total = box.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var rows = box.querySelector(".formset-rows");
    var template = box.querySelector("template[data-formset-empty]");
    var status = box.querySelector("[data-formset-status]");
    var add = box.querySelector("[data-formset-add]");

    function visibleRows() {
      return Array.prototype.filter.call(rows.querySelectorAll("[data-formset-row]"), function (row) {
        return !row.hidden;
      });
    }

    function renumber() {
      visibleRows().forEach(function (row, i) {
        var number = row.querySelector("[data-row-number]");
        if (number) number.textContent = String(i + 1);
      });
    }

    function enhance(row) {
      var del = row.querySelector('input[name$="-DELETE"]');
      if (del) {
        var field = del.closest(".field");
        (field || del).hidden = true;
      }
      var remove = row.querySelector("[data-formset-remove]");
      if (!remove) return;
      remove.hidden = false;
      remove.addEventListener("click", function () {
        if (del) del.checked = true;
        row.hidden = true;
        row.querySelectorAll("input, select, textarea").forEach(function (input) { input.required = false; });
        renumber();
        if (status) status.textContent = box.dataset.removedLabel || "";
        var next = visibleRows()[0];
        var focus = next ? next.querySelector("input:not([type=hidden]), select, textarea") : add;
        if (focus) focus.focus();
      });
    }

    Array.prototype.forEach.call(rows.querySelectorAll("[data-formset-row]"), enhance);
    if (!add || !template || !total) return;
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      enhance(row);
      renumber();
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  }

  function start() {
    document.querySelectorAll("[data-formset]").forEach(setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
