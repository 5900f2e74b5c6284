import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProduceRequestSchema } from '../../../contract/pipeline.js';
import { produceOptionsFrom } from '../../../main/shells/cli/pipeline-flags.js';

const connection = { brokers: ['127.0.0.1:9092'] };
const issue = (input: Record<string, unknown>) => {
  const r = ProduceRequestSchema.safeParse({ connection, ...input });
  return r.success ? null : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
};

describe('ProduceRequestSchema', () => {
  it('takes symbols by the trade rule (SymbolSchema)', () => {
    assert.equal(issue({ symbols: ['AAPL', 'BRK.B', '^GSPC'] }), null);
    assert.equal(
      issue({ symbols: ['AAPL', '=CMD'] }),
      'symbols.1: symbol must be 1-20 characters: letters, digits and . - / = ^, starting with a letter, digit or ^',
    );
  });
  it('refuses a simulated start more than 24 hours ahead of now, which would be dead-lettered', () => {
    const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString();
    assert.equal(
      issue({ simulatedStart: inTwoDays }),
      'simulatedStart: must not be more than 24 hours ahead of now (the enrichment dead-letters trades dated later)',
    );
    assert.equal(issue({ simulatedStart: new Date(Date.now() + 3_600_000).toISOString() }), null);
    assert.equal(issue({ simulatedStart: '2025-07-07T14:00:00Z' }), null);
    assert.equal(issue({ simulatedStart: '1990-01-02T14:30:00Z' }), null);
  });
});

describe('CLI produce flags', () => {
  const produce = (values: Record<string, string>) => () => produceOptionsFrom(values);
  it('--symbols: a symbol outside the rule is a usage error that names the rule', () => {
    assert.throws(produce({ symbols: 'AAPL,=cmd|x' }), {
      name: 'UsageError',
      message: /^symbols\.1: symbol must be 1-20 characters: letters, digits/,
    });
    assert.deepEqual(produce({ symbols: 'aapl, brk.b' })().symbols, ['AAPL', 'BRK.B']);
  });
  it('--sim-start more than 24 hours ahead: a usage error that says why', () => {
    assert.throws(produce({ 'sim-start': '2999-01-01T00:00:00Z' }), {
      name: 'UsageError',
      message: /^simulatedStart: must not be more than 24 hours ahead of now/,
    });
  });
});
