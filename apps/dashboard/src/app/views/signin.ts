import { ApiError, api, session } from '../api';
import { h } from '../dom';

/** Sign-in with an API key; the key is checked against the API before it is kept (sessionStorage only). */
export function renderSignIn(root: HTMLElement, onSignedIn: () => void): () => void {
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'rw_…', 'aria-describedby': 'api-key-help api-key-error' });
  const error = h('p', { id: 'api-key-error', class: 'field-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to rimwatch'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { id: 'api-key-help', class: 'help' }, 'Kept in this browser tab only (session storage) and sent as the bearer token.'),
    error,
    button,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    error.textContent = '';
    input.removeAttribute('aria-invalid');
    if (!key) {
      error.textContent = 'Enter an API key.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      await api.verifyKey(key);
      session.set(key);
      onSignedIn();
    } catch (err) {
      const msg =
        err instanceof ApiError && err.status === 401
          ? `That API key was not accepted (${err.message}). Check it, or create a new one with \`rimwatch keys create\`.`
          : `Could not sign in: ${(err as Error).message}`;
      error.textContent = msg;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      input.select();
    } finally {
      button.disabled = false;
    }
  });
  root.replaceChildren(form);
  input.focus();
  return () => undefined;
}
