import { html, type SafeHtml } from './html.js';

/** The sign-in form: an access key id and its secret, as the AWS CLI is configured with. */
export function signInBody(error?: string, accessKeyId = ''): SafeHtml {
  return html`<h1>Sign in</h1>
<p>Sign in with an access key of this registry. You will see what that key may read.</p>
${error ? html`<p class="error" role="alert" id="sign-in-error">${error}</p>` : ''}
<form method="post" action="/ui/sign-in" class="sign-in">
  <label for="accessKeyId">Access key ID</label>
  <input id="accessKeyId" name="accessKeyId" autocomplete="username" required value="${accessKeyId}"${error ? html` aria-describedby="sign-in-error"` : ''}>
  <label for="secretAccessKey">Secret access key</label>
  <input id="secretAccessKey" name="secretAccessKey" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>`;
}
