// The SSO group form (no inline script: the pages run under a strict Content-Security-Policy).
// 1. The ID follows the Name as you type (like ssogroups/slugs.py), until the admin edits it,
//    and says when the account already has it (the server then adds -2, -3, ...).
// 2. Choosing a metadata file reads it at once (the "Read the file" button), so the fields below
//    show what the file holds before anything is saved.
(function () {
  "use strict";
  var slug = document.querySelector("[data-slug-from]");
  var preview = document.getElementById("slug-preview");
  if (slug) {
    var name = document.getElementById(slug.dataset.slugFrom);
    var taken = (slug.dataset.slugsTaken || "").split(" ").filter(Boolean);
    var current = slug.dataset.slugCurrent || "";
    var edited = slug.value !== "" && slug.value !== current;
    var fromName = function (text) {
      var s = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
        .replace(/[^\w\s-]/g, "").replace(/[-\s]+/g, "-").replace(/[^a-z0-9_-]+/g, "-")
        .replace(/^[-_]+|[-_]+$/g, "").slice(0, 60).replace(/[-_]+$/, "");
      return s || "group";
    };
    var unique = function (base) {
      var candidate = base, n = 1;
      while (taken.indexOf(candidate) !== -1 && candidate !== current) { n += 1; candidate = base + "-" + n; }
      return candidate;
    };
    var show = function () {
      // Nothing typed yet: no ID to show (it said "Its URLs will end in /group/").
      if (!slug.value && !current && !name.value.trim()) {
        preview.textContent = "";
        preview.classList.remove("error");
        return;
      }
      var value = slug.value || (current ? current : unique(fromName(name.value)));
      var clash = taken.indexOf(value) !== -1 && value !== current;
      preview.textContent = clash ? "This account already has an SSO group with the ID " + value + "."
        : "Its URLs will end in /" + value + "/";
      preview.classList.toggle("error", clash);
    };
    if (!current) {
      name.addEventListener("input", function () {
        if (!edited) { slug.value = name.value.trim() ? unique(fromName(name.value)) : ""; }
        show();
      });
    }
    slug.addEventListener("input", function () { edited = slug.value !== ""; show(); });
    show();
  }
  var file = document.getElementById("id_metadata_file");
  var read = document.getElementById("read-metadata");
  if (file && read) {
    file.addEventListener("change", function () {
      if (file.files.length) { read.form.requestSubmit(read); }
    });
  }
})();
