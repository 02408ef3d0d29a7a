// Marks the page as having JavaScript before it is drawn (GOV.UK Frontend's js-enabled class).
// Loaded at the top of <body> from a file, not inline, so that the Content-Security-Policy can
// refuse every inline script.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
