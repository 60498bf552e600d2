import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectTrustChain } from '../../../src/federation/select-chain.js';

const chain = (path: string[]) => ({
  statements: [],
  path,
  trustAnchor: path[path.length - 1] ?? '',
});

describe('§10.3 choosing among several valid chains', () => {
  const long = chain(['https://op.example', 'https://b.example', 'https://ta1.example']);
  const shortTa2 = chain(['https://op.example', 'https://ta2.example']);
  const shortTa1 = chain(['https://op.example', 'https://ta1.example']);

  it('prefers the shortest chain', () => {
    assert.equal(selectTrustChain([long, shortTa2]), shortTa2);
  });
  it('then the Trust Anchor the caller listed first', () => {
    assert.equal(
      selectTrustChain([shortTa1, shortTa2], ['https://ta2.example', 'https://ta1.example']),
      shortTa2,
    );
    assert.equal(selectTrustChain([shortTa2, shortTa1], ['https://ta1.example']), shortTa1);
  });
  it('then the lexically smallest path, whatever the input order', () => {
    const viaA = chain(['https://op.example', 'https://a.example', 'https://ta1.example']);
    const viaB = chain(['https://op.example', 'https://b.example', 'https://ta1.example']);
    assert.equal(selectTrustChain([viaB, viaA]), viaA);
    assert.equal(selectTrustChain([viaA, viaB]), viaA);
  });
  it('returns undefined for no chains', () => {
    assert.equal(selectTrustChain([]), undefined);
  });
});
