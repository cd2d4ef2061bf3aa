// Fills the city and county selects of a region fieldset from /static/regions.json when the
// level above changes. Without the script the server renders the chosen chain, so an error
// page or an edit still shows what was picked.
(function () {
  if (window.wqRegions) return; // the form includes the script once per place
  window.wqRegions = true;
  var sets = document.querySelectorAll("fieldset[data-region]");
  if (!sets.length || !window.fetch) return;
  var src = document.querySelector("script[data-regions]");
  fetch(src ? src.getAttribute("data-regions") : "/static/regions.json")
    .then(function (r) { return r.json(); })
    .then(function (rows) {
      var kids = {};
      rows.forEach(function (r) { (kids[r[1]] = kids[r[1]] || []).push(r); });
      function fill(select, parent) {
        var keep = select.value;
        while (select.options.length > 1) select.remove(1);
        (kids[parent] || []).forEach(function (r) {
          var o = new Option(r[2], r[0]);
          if (r[0] === keep) o.selected = true;
          select.add(o);
        });
        // A city without counties (东莞市) is itself the choice: nothing to pick below it.
        select.disabled = select.options.length === 1;
      }
      Array.prototype.forEach.call(sets, function (set) {
        var p = set.querySelector("[data-region-level=province]");
        var c = set.querySelector("[data-region-level=city]");
        var k = set.querySelector("[data-region-level=county]");
        function onProvince() { fill(c, p.value); onCity(); }
        function onCity() { fill(k, c.value); }
        p.addEventListener("change", onProvince);
        c.addEventListener("change", onCity);
        if (p.value) onProvince(); else { c.disabled = true; k.disabled = true; }
      });
    });
})();
