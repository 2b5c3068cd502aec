// The articles editor: add a row from the <template> and remove one in place (its DELETE box is ticked and the
// row hidden, so the server deletes it on save; a row added and removed before saving is simply dropped).
(function () {
  "use strict";
  function renumber(container, prefix) {
    var visible = container.querySelectorAll("[data-row]:not([hidden])");
    visible.forEach(function (row, i) {
      var legend = row.querySelector("legend");
      if (legend) { legend.textContent = legend.textContent.replace(/\s*\d*$/, "") + " " + (i + 1); }
    });
  }
  document.querySelectorAll("[data-formset]").forEach(function (container) {
    var prefix = container.dataset.formset;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    container.querySelectorAll(".row-delete").forEach(function (box) { box.hidden = true; });
    container.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) { return; }
      var row = button.closest("[data-row]");
      var del = row.querySelector("input[name$='-DELETE']");
      if (del) { del.checked = true; }
      row.hidden = true;
      renumber(container, prefix);
    });
    document.querySelectorAll("[data-add-row='" + prefix + "']").forEach(function (button) {
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        container.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var row = container.lastElementChild;
        row.querySelector(".row-delete").hidden = true;
        var number = row.querySelector("input[name$='-number']");
        var numbers = Array.prototype.map.call(container.querySelectorAll("[data-row]:not([hidden]) input[name$='-number']"),
          function (input) { return parseInt(input.value, 10) || 0; });
        if (number) { number.value = String(Math.max.apply(null, numbers.concat([0])) + 1); }
        renumber(container, prefix);
        var first = row.querySelector("input[type='text'], textarea");
        if (first) { first.focus(); }
      });
    });
    renumber(container, prefix);
  });
})();
