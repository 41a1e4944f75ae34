// Copy buttons: <button data-copy="input-id">. Copies the input's value, says so on the button
// and in the page's polite live region (#copy-status) when there is one.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var input = document.getElementById(button.dataset.copy);
    var status = document.getElementById("copy-status");
    input.select();
    var done = function () {
      button.textContent = "Copied";
      if (status) { status.textContent = "Copied: " + (input.labels.length ? input.labels[0].textContent : input.value); }
    };
    var fallback = function () { document.execCommand("copy"); done(); };
    if (navigator.clipboard) { navigator.clipboard.writeText(input.value).then(done, fallback); } else { fallback(); }
  });
});
