// Copy buttons: <button data-copy="input-id">. Copies the input's value, says so on the button
// and in a polite live region: the button's card's [data-copy-status], else the page's #copy-status.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var input = document.getElementById(button.dataset.copy);
    var card = button.closest("section");
    var status = (card && card.querySelector("[data-copy-status]")) || document.getElementById("copy-status");
    input.select();
    var done = function () {
      button.textContent = "Copied";
      if (status) { status.textContent = "Copied: " + (input.labels.length ? input.labels[0].textContent : input.value); }
    };
    var fallback = function () { document.execCommand("copy"); done(); };
    if (navigator.clipboard) { navigator.clipboard.writeText(input.value).then(done, fallback); } else { fallback(); }
  });
});
