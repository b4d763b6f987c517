import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SharedView } from './shell/SharedView';
import './styles.css';

/** /app/s/{token}: a shared chat, for anyone (no sign-in); every other path below /app: the app. */
const shared = /^\/app\/s\/([^/]+)\/?$/.exec(location.pathname);

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>{shared ? <SharedView token={decodeURIComponent(shared[1] as string)} /> : <App />}</StrictMode>,
);
