/** The spec's endpoints: the resolver's Entity Configuration (§9) and /resolve (§8.3). */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { MEDIA_TYPES, WELL_KNOWN_FEDERATION_PATH } from '../../federation/constants.js';
import { CLIENT_ASSERTION_TYPE } from '../../engine/client-authentication.js';
import { InvalidRequestError } from '../../federation/errors.js';
import { bodyText } from '../body.js';
import { callerOf } from '../middleware.js';
import { parseResolutionQuery } from '../params.js';
import { maxAge, type RouteDependencies } from './routes.js';

/** Longest time a client may keep a resolve response (never past its exp). */
const MAX_RESPONSE_AGE_SECONDS = 300;

/** Registers the federation endpoints. */
export function federationRoutes(router: Router, deps: RouteDependencies): void {
  router.get(WELL_KNOWN_FEDERATION_PATH, async function entityConfiguration(ctx: Context) {
    ctx.body = await deps.engine.entityConfiguration();
    ctx.set('Content-Type', MEDIA_TYPES.entityStatement);
    ctx.set('Cache-Control', 'public, max-age=3600');
  });

  const answer = (ctx: Context, response: { value: string; exp: number }) => {
    ctx.body = response.value;
    ctx.set('Content-Type', MEDIA_TYPES.resolveResponse);
    const age = maxAge(response.exp, deps.clock.now(), MAX_RESPONSE_AGE_SECONDS);
    ctx.set('Cache-Control', `private, max-age=${age}`);
  };

  router.get('/resolve', async function resolve(ctx: Context) {
    const query = parseResolutionQuery(ctx.querystring, { allowHttp: deps.allowInsecureHttp });
    answer(ctx, await deps.engine.resolveResponse(query, callerOf(ctx)));
  });

  // §8.8: with client authentication the request is a POST with every parameter in the body,
  // `application/x-www-form-urlencoded`, the assertion among them (RFC 7523 §2.2).
  router.post('/resolve', async function resolveAuthenticated(ctx: Context) {
    const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      ctx.req.resume();
      throw new InvalidRequestError(
        'POST /resolve takes an application/x-www-form-urlencoded body',
        {
          reason: 'parameter_invalid',
          section: '§8.8',
        },
      );
    }
    const body = await bodyText(ctx);
    const form = new URLSearchParams(body);
    const assertions = form.getAll('client_assertion');
    const types = form.getAll('client_assertion_type');
    if (assertions.length > 1 || types.length > 1) {
      throw new InvalidRequestError('client_assertion and client_assertion_type are given once', {
        reason: 'parameter_repeated',
        section: '§8.8',
      });
    }
    const assertion = assertions[0];
    if (
      (assertion === undefined) !== (types[0] === undefined) ||
      (types[0] !== undefined && types[0] !== CLIENT_ASSERTION_TYPE)
    ) {
      throw new InvalidRequestError(
        `client_assertion needs client_assertion_type ${CLIENT_ASSERTION_TYPE}`,
        { reason: 'parameter_invalid', requestParameter: 'client_assertion_type', section: '§8.8' },
      );
    }
    const query = parseResolutionQuery(body, { allowHttp: deps.allowInsecureHttp });
    answer(ctx, await deps.engine.resolveResponse(query, callerOf(ctx), assertion));
  });
}
