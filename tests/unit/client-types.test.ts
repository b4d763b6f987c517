import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { CLIENT_TYPES_FILE, generateClientTypes, OPENAPI_FILE } from '../../scripts/client-types-document.js';

describe('packages/client/src/schema.d.ts', () => {
  test('the committed types are the ones generated from openapi.json (run `npm run openapi`)', async () => {
    const generated = await generateClientTypes(readFileSync(OPENAPI_FILE, 'utf8'));
    expect(readFileSync(CLIENT_TYPES_FILE, 'utf8')).toBe(generated);
  });

  test('a change of the document shows in the types', async () => {
    const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
    doc.components.schemas.Chat.properties.renamed_field = { type: 'string' };
    doc.components.schemas.Chat.required.push('renamed_field');
    const generated = await generateClientTypes(JSON.stringify(doc));
    expect(generated).not.toBe(readFileSync(CLIENT_TYPES_FILE, 'utf8'));
    expect(generated).toContain('renamed_field: string;');
  });

  test('types what the API answers: a pair is a union on `type`, create-branch `activate` is optional', () => {
    const types = readFileSync(CLIENT_TYPES_FILE, 'utf8');
    expect(types).toContain('export interface paths {');
    expect(types).toMatch(/type: "code";\s+language: string;/);
    expect(types).toMatch(/type: "link";\s+url: string;/);
    expect(types).toContain('activate?: boolean;');
    expect(types).not.toContain('activate: boolean;');
  });
});
