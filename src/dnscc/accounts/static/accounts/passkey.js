// Passkeys (WebAuthn): register one on the Security page, or use one at the login's second
// step. A button with data-passkey="register" or "verify" and data-options / data-finish
// URLs starts the ceremony; errors are written into the element named by data-status.
// No inline script: the portal's Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";
  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.detail || ("the server answered " + r.status));
        return data;
      });
    });
  }
  function credentialJSON(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: {clientDataJSON: bufToB64url(r.clientDataJSON)},
    };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = bufToB64url(r.authenticatorData);
      out.response.signature = bufToB64url(r.signature);
      if (r.userHandle) out.response.userHandle = bufToB64url(r.userHandle);
    }
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    return out;
  }
  function start(button) {
    var status = document.getElementById(button.dataset.status);
    var say = function (text) { if (status) status.textContent = text; };
    if (!window.PublicKeyCredential) { say("This browser cannot use passkeys."); return; }
    say("");
    button.disabled = true;
    var kind = button.dataset.passkey;
    post(button.dataset.options).then(function (options) {
      options.challenge = b64urlToBuf(options.challenge);
      (options.allowCredentials || options.excludeCredentials || []).forEach(function (c) {
        c.id = b64urlToBuf(c.id);
      });
      if (kind === "register") {
        options.user.id = b64urlToBuf(options.user.id);
        return navigator.credentials.create({publicKey: options});
      }
      return navigator.credentials.get({publicKey: options});
    }).then(function (cred) {
      var body = credentialJSON(cred);
      if (kind === "register") {
        var name = document.getElementById(button.dataset.name);
        body = {credential: body, name: name ? name.value : ""};
      }
      return post(button.dataset.finish, body);
    }).then(function (data) {
      window.location.assign(data.redirect || "/");
    }).catch(function (err) {
      say(err && err.name === "NotAllowedError"
        ? "The passkey was not used (cancelled or timed out)."
        : "Passkey: " + (err && err.message ? err.message : err));
      button.disabled = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-passkey]");
    if (button) { event.preventDefault(); start(button); }
  });
})();
