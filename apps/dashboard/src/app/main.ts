/**
 * rimwatch dashboard entry: a hash router over four views (sign-in, jobs, job, submit). No framework:
 * each view renders into #main and returns a cleanup that stops its timers and streams.
 */
import { session } from './api';
import { announce, h } from './dom';
import { renderJob } from './views/job';
import { renderJobs } from './views/jobs';
import { renderSignIn } from './views/signin';
import { renderSubmit } from './views/submit';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
let cleanup: (() => void) | undefined;

function signOut(message?: string) {
  session.clear();
  route();
  if (message) announce(message, 'error');
}

const onUnauthorized = () => signOut('Your API key is no longer accepted (revoked?). Sign in again.');

function renderNav(active: string) {
  const link = (href: string, label: string, id: string) => h('a', { href, 'aria-current': active === id ? 'page' : null }, label);
  nav.replaceChildren(
    ...(session.key
      ? [link('#/', 'Jobs', 'jobs'), link('#/new', 'New job', 'new'), h('button', { type: 'button', class: 'link', id: 'sign-out', onclick: () => signOut() }, 'Sign out')]
      : []),
  );
}

function route() {
  cleanup?.();
  cleanup = undefined;
  announce('');
  const hash = location.hash.replace(/^#/, '') || '/';
  const path = hash.split('?')[0];
  if (!session.key) {
    renderNav('');
    cleanup = renderSignIn(main, route);
    return;
  }
  const jobMatch = /^\/jobs\/([0-9a-fA-F-]{36})$/.exec(path);
  if (jobMatch) {
    renderNav('job');
    cleanup = renderJob(main, jobMatch[1], onUnauthorized);
  } else if (path === '/new') {
    renderNav('new');
    cleanup = renderSubmit(main, onUnauthorized);
  } else {
    renderNav('jobs');
    cleanup = renderJobs(main, onUnauthorized);
  }
  // move focus to the new page's heading for keyboard and screen-reader users (not on first load)
  if (routed) (main.querySelector('h1') as HTMLElement | null)?.setAttribute('tabindex', '-1'), (main.querySelector('h1') as HTMLElement | null)?.focus();
  routed = true;
}
let routed = false;

window.addEventListener('hashchange', route);
route();
