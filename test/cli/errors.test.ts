import { strict as assert } from 'assert';
import { ConfigError, NodeError } from '../../lib/control/errors';
import { InputError } from '../../lib/engine/commands';
import { EXIT, UserError } from '../../lib/errors';
import { DeviceNotFoundError, PortAudioUnavailableError } from '../../lib/io/portaudio';
import { OscError } from '../../lib/osc/codec';
import { WavError } from '../../lib/session/wav';
import { main } from '../../lib/cli/main';

// Every error a user can fix is a UserError with its exit code and its own name (which crosses IPC).

describe('errors a user can fix', () => {
  const cases: [UserError, string, number][] = [
    [new InputError('--bpm', 'needs a value'), 'InputError', EXIT.badInput],
    [new WavError('a.wav', 'not a WAV file'), 'WavError', EXIT.badInput],
    [new OscError('bad padding'), 'OscError', EXIT.badInput],
    [new PortAudioUnavailableError({ naudiodon: 'missing', ownBuild: 'missing' }), 'PortAudioUnavailableError', EXIT.unavailable],
    [new DeviceNotFoundError('no device with id 9', []), 'DeviceNotFoundError', EXIT.unavailable],
    [new NodeError('k', {}, 'the engine is not running'), 'NodeError', EXIT.unavailable],
    [new ConfigError('track', 'missing'), 'ConfigError', EXIT.unavailable],
  ];
  for (const [err, name, code] of cases) {
    it(`${name}: a UserError, exit code ${code}`, () => {
      assert.ok(err instanceof UserError && err instanceof Error);
      assert.equal(err.name, name);
      assert.equal(err.exitCode, code);
      assert.ok(!err.message.includes('\n'));
    });
  }

  it('the command ends with the exit code of the error, one line on stderr', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write;
    try {
      assert.equal(await main(['session', 'list', '--verbose']), EXIT.badInput);
      assert.equal(await main(['render', '/nonexistent/script.json']), EXIT.badInput);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(written[0], 'loopstation session: --verbose: unknown option; accepted: --dir, --json\n');
    assert.equal(written.length, 2);
    assert.match(written[1], /^loopstation render: .*script\.json/);
  });
});
