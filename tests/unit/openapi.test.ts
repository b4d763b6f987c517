import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, serialiseDocument } from '../../scripts/openapi-document.js';

const doc = buildOpenApiDocument() as any;

describe('openapi.json', () => {
  test('the committed file is the document generated from the routes (run `npm run openapi`)', () => {
    const committed = readFileSync(join(import.meta.dir, '..', '..', 'openapi.json'), 'utf8');
    expect(committed).toBe(serialiseDocument(doc));
  });

  test('documents every route of docs/api.md with its operationId', () => {
    const ops: Record<string, string> = {};
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) ops[`${method.toUpperCase()} ${path}`] = op.operationId;
    }
    expect(ops).toMatchObject({
      'POST /api/v1/auth/register': 'register',
      'POST /api/v1/auth/login': 'login',
      'POST /api/v1/chats/create-chat': 'createChat',
      'GET /api/v1/chats/get-chat': 'getChat',
      'PUT /api/v1/chats/update-chat': 'updateChat',
      'DELETE /api/v1/chats/delete-chat': 'deleteChat',
      'GET /api/v1/chats/list-chats': 'listChats',
      'POST /api/v1/messages/add-message': 'addMessage',
      'POST /api/v1/branches/create-branch': 'createBranch',
      'GET /api/v1/branches/get-branches': 'getBranches',
      'PUT /api/v1/branches/set-active-branch': 'setActiveBranch',
      'GET /healthz': 'healthz',
      'GET /readyz': 'readyz',
    });
  });

  test('protected routes declare bearer auth and problem responses', () => {
    const op = doc.paths['/api/v1/chats/get-chat'].get;
    expect(op.security).toEqual([{ Bearer: [] }]);
    expect(op.responses['404'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    expect(doc.openapi).toBe('3.1.0');
  });
});
