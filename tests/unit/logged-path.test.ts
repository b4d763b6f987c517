/** A share link's token never reaches the logs or traces, however the path is spelled. */
import { describe, expect, test } from 'bun:test';
import { loggedPath } from '../../src/http/middleware/request-log.js';

describe('loggedPath', () => {
  test('the token of a public read or a demo link becomes {token}, in any case or with repeated slashes', () => {
    expect(loggedPath('/api/v1/public/shares/abc_DEF-123')).toBe('/api/v1/public/shares/{token}');
    expect(loggedPath('/app/s/abc_DEF-123')).toBe('/app/s/{token}');
    expect(loggedPath('//api/v1/public/shares/secret')).toBe('//api/v1/public/shares/{token}');
    expect(loggedPath('/API/V1/Public/Shares/secret')).toBe('/API/V1/Public/Shares/{token}');
    expect(loggedPath('/api//v1/public/shares//secret/x')).toBe('/api//v1/public/shares//{token}/x');
  });

  test('other paths are logged as they are', () => {
    expect(loggedPath('/api/v1/shares/list-shares')).toBe('/api/v1/shares/list-shares');
    expect(loggedPath('/api/v1/chats/get-chat')).toBe('/api/v1/chats/get-chat');
  });
});
