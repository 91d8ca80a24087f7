import { strict as assert } from 'assert';
import { InputError } from '../../lib/engine/commands';
import { parseCliArgs } from '../../lib/cli/args';
import { parseLiveArgs } from '../../lib/cli/live';

// Command-line options through node:util parseArgs: each kind of mistake is an InputError naming the
// option and what is accepted.

const OPTIONS = { dir: { type: 'string' }, json: { type: 'boolean' } } as const;

function refused(args: string[], field: string, problem: RegExp, positionals = false): void {
  assert.throws(() => parseCliArgs(args, OPTIONS, positionals), (e: unknown) => e instanceof InputError && e.field === field && problem.test(e.problem), args.join(' '));
}

describe('cli: options', () => {
  it('parses values, switches and positionals', () => {
    assert.deepEqual(parseCliArgs(['a', '--dir', 'x', '--json', 'b'], OPTIONS, true), { values: { dir: 'x', json: true }, positionals: ['a', 'b'] });
    assert.deepEqual(parseCliArgs(['--dir=-odd'], OPTIONS).values, { dir: '-odd' });
  });

  it('refuses an unknown option, a missing value, a value on a switch and a stray argument', () => {
    refused(['--verbose'], '--verbose', /^unknown option; accepted: --dir, --json$/);
    refused(['--dir'], '--dir', /^needs a value/);
    refused(['--dir', '--json'], '--dir', /^needs a value/);
    refused(['--json=yes'], '--json', /^takes no value$/);
    refused(['x'], 'x', /^unexpected argument; accepted: --dir, --json$/);
  });

  it('live: numbers and words checked, naming the option', () => {
    const o = parseLiveArgs(['--bpm', '90', '--tracks', '3', '--device', 'USB', '--output', 'HDMI', '--no-calibrate']);
    assert.deepEqual([o.bpm, o.tracks, o.inputDevice, o.outputDevice, o.calibrate, o.metronome], [90, 3, 'USB', 'HDMI', false, true]);
    assert.throws(() => parseLiveArgs(['--bpm', '1000']), /--bpm: 1000 is out of range/);
    assert.throws(() => parseLiveArgs(['--quantize', 'half']), /--quantize: "half" is not a quantize mode; accepted: off, beat, bar, loop/);
    assert.throws(() => parseLiveArgs(['--jack']), /--jack: unknown option; accepted: --backend, --device/);
  });
});
