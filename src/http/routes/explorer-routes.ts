/**
 * The explorer (EXPLORER=on): a static page, its script and its style sheet at /explorer, and
 * `/` redirecting to it. The page reads only the resolver's own JSON APIs on the same origin;
 * its Content-Security-Policy allows nothing else (SECURITY.md).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';

/** One file of the explorer, as read at boot. */
export interface ExplorerAsset {
  /** File name: `index.html` is the page, the others are served under /explorer/. */
  readonly name: string;
  readonly body: Uint8Array;
}

/**
 * The page may run its own script and style sheet and call its own origin, and nothing else: no
 * inline code, no other origin, no framing, no `<base>`, forms only to itself.
 */
export const EXPLORER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Media types by file extension; a file of any other kind is not served. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** How long a browser may keep the script and the style sheet without asking again. */
const ASSET_MAX_AGE_SECONDS = 300;

/** Registers /explorer, its files and the redirect of `/`, when `assets` are given. */
export function explorerRoutes(router: Router, assets: readonly ExplorerAsset[] | undefined): void {
  if (assets === undefined) return;
  const serve = (asset: ExplorerAsset, cacheControl: string) => {
    const type = MEDIA_TYPES[asset.name.split('.').pop() ?? ''];
    if (type === undefined) return undefined;
    const body = Buffer.from(asset.body);
    return function explorerFile(ctx: Context) {
      ctx.body = body;
      ctx.set('Content-Type', type);
      ctx.set('Content-Security-Policy', EXPLORER_CSP);
      ctx.set('Cache-Control', cacheControl);
    };
  };
  for (const asset of assets) {
    // The page changes with every release; it is checked again on every visit.
    const handler =
      asset.name === 'index.html'
        ? serve(asset, 'no-cache')
        : serve(asset, `public, max-age=${ASSET_MAX_AGE_SECONDS}`);
    if (handler === undefined) continue;
    router.get(asset.name === 'index.html' ? '/explorer' : `/explorer/${asset.name}`, handler);
  }
  router.get('/', function home(ctx: Context) {
    ctx.redirect('explorer');
    ctx.set('Cache-Control', 'no-store');
  });
}
