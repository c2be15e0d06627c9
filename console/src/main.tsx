// Entry point: decide between the login page and the app from
// GET /admin/session, then render.
import { render } from 'preact';
import { App } from './App';
import { loadSession } from './session';

loadSession();
render(<App />, document.getElementById('app')!);
