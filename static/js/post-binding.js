// The SAML HTTP-POST binding page: send the AuthnRequest form to the IdP at once. A static file,
// not an inline script, so the Content-Security-Policy needs no 'unsafe-inline'.
var form = document.getElementById("saml-post");
if (form) { form.submit(); }
