// Runs inside the embeddable form's iframe. It tells the host page how tall the form is, so
// the iframe can fit it without an inner scrollbar, and after a submit asks the host to bring
// the frame into view (the answer is shorter than the form, and phones stay scrolled down).
// Only a height and a flag are sent, so any host may read them.
(function () {
  if (window.parent === window) return;
  function report(scroll) {
    window.parent.postMessage({
      type: "awareness-mailer:embed",
      // The content's own height: the document's scrollHeight never drops below the frame's.
      height: Math.ceil(document.body.getBoundingClientRect().bottom + window.scrollY) + 8,
      scroll: scroll
    }, "*");
  }
  window.addEventListener("load", function () {
    report(document.body.getAttribute("data-answer") === "1");
  });
  window.addEventListener("resize", function () { report(false); });
})();
