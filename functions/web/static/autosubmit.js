// Presses the confirm button for people whose browser runs scripts. A mail scanner that only
// fetches the link never runs this, and without script the button is there to press.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
  if (window.sessionStorage && sessionStorage.getItem("autosubmitted:" + form.action)) return;
  if (window.sessionStorage) sessionStorage.setItem("autosubmitted:" + form.action, "1");
  form.requestSubmit ? form.requestSubmit() : form.submit();
});
