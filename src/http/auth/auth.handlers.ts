import type { Context } from 'hono';
import * as accounts from '../../domain/accounts/accounts.service.js';
import type { AppBindings, AppRouteHandler } from '../app-types.js';
import type { LoginRoute, RegisterRoute } from './auth.routes.js';

async function tokenBody(c: Context<AppBindings>, accountId: string) {
  const tokens = c.get('tokens');
  return {
    account_id: accountId,
    token: await tokens.issue(accountId),
    token_type: 'Bearer' as const,
    expires_in: tokens.ttlSeconds,
  };
}

export const register: AppRouteHandler<RegisterRoute> = async (c) => {
  const body = c.req.valid('json');
  const account = await accounts.register(c.get('deps'), c.get('registration'), {
    ...body,
    client: await c.get('client')(),
  });
  return c.json(await tokenBody(c, account.accountId), 201);
};

export const login: AppRouteHandler<LoginRoute> = async (c) => {
  const body = c.req.valid('json');
  const account = await accounts.login(c.get('deps'), c.get('throttle'), { ...body, client: await c.get('client')() });
  return c.json(await tokenBody(c, account.accountId), 200);
};
