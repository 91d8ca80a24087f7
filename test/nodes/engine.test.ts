import { NodeType } from '../../lib/control/constants';
import { CountingFactory, assert, connectionOf, engineDef, engineUp, helper, loadWithFactory, nextError, userNode, wait } from './harness';

// The loopstation-engine config node: settings, and the admin routes behind the editor's device
// dropdown and calibrate button.

describe('nodes: engine (config node)', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('turns its fields (strings, as the editor saves them) into the host config', async () => {
    await loadWithFactory([
      engineDef({ sampleRate: '44100', blockSize: '128', tracks: '6', bpm: '97.5', beatsPerBar: '3', quantize: 'beat', crossfadeFrames: '64', countInBars: '1', inputLatencyFrames: '300', inputDevice: ' USB Audio ', outputDevice: '', sessionDir: '/tmp/loops', clickSound: '', memoryMiB: '16', slackPeriods: '3', inputChannels: '4', outputChannels: '6' }),
    ]);
    assert.deepEqual(connectionOf().config, {
      sampleRate: 44100,
      blockFrames: 128,
      tracks: 6,
      bpm: 97.5,
      beatsPerBar: 3,
      quantize: 'beat',
      crossfadeFrames: 64,
      inputLatencyFrames: 300,
      backend: 'null',
      inputDevice: 'USB Audio',
      outputDevice: '',
      sessionDir: '/tmp/loops',
      metronome: { enabled: true, volume: 0.5, countInBars: 1, sound: 'builtin' },
      memoryMiB: 16,
      inputChannels: 4,
      outputChannels: 6,
      slackPeriods: 3,
      sync: 'internal',
      linkStartStop: false,
    });
  });

  it('does not start a host until a node uses it', async () => {
    const factory = await loadWithFactory([engineDef()]);
    await wait(20);
    assert.equal(factory.made, 0);
    assert.equal(connectionOf().status, 'stopped');
  });

  for (const [field, value, error] of [
    ['tracks', 0, 'setting tracks: 0 is out of range; accepted: an integer from 1 to 64'],
    ['sampleRate', 'fast', 'setting sampleRate: "fast" is not a number; accepted: an integer from 8000 to 192000'],
    ['quantize', 'sometimes', 'setting quantize: "sometimes" is not accepted; accepted: off, beat, bar, loop'],
    ['backend', 'jack', 'setting backend: "jack" is not accepted; accepted: auto, portaudio, null'],
    ['memoryMiB', 0.5, 'setting memoryMiB: 0.5 is out of range; accepted: an integer from 1 to 3072'],
    ['slackPeriods', 0, 'setting slackPeriods: 0 is out of range; accepted: an integer from 1 to 16'],
    ['outputChannels', 3, 'setting outputChannels: 3 is not accepted; accepted: an even count (stereo pairs) from 2 to 32'],
    ['inputChannels', 33, 'setting inputChannels: 33 is out of range; accepted: an integer from 1 to 32'],
  ] as const) {
    it(`bad setting ${field}: logged naming it; users show a red ring and refuse msgs`, async () => {
      const factory = await loadWithFactory([engineDef({ [field]: value }), ...userNode('rec', NodeType.LoopRecorder, { track: 1 })]);
      const errors = helper.log().args.filter((a) => a[0].level === helper.log().ERROR).map((a) => [a[0].id, String(a[0].msg)]);
      assert.deepEqual(errors[0], ['engine', error]);
      const rec = helper.getNode('rec');
      const refused = nextError(rec);
      rec.receive({ payload: 'record' });
      assert.equal(await refused, `the loopstation engine's settings are invalid (${error}): the command was not sent`);
      assert.equal(factory.made, 0);
    });
  }

  it('a node with no engine selected says so', async () => {
    await loadWithFactory([engineDef(), { id: 'rec', type: NodeType.LoopRecorder, track: 1, engine: '', wires: [[]] }]);
    const rec = helper.getNode('rec');
    const refused = nextError(rec);
    rec.receive({ payload: 'record' });
    assert.equal(await refused, 'no loopstation engine is selected: choose one in the node settings');
  });

  describe('admin routes', () => {
    it('GET /loopstation/devices lists through a short-lived host when none runs', async () => {
      const factory = await loadWithFactory([engineDef()]);
      const res = await helper.request().get('/loopstation/devices');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { devices: [] });
      assert.equal(factory.made, 1);
      assert.equal(factory.running, 0);
    });

    it('GET /loopstation/devices asks the running host', async () => {
      const factory = await loadWithFactory([engineDef(), ...userNode('rec', NodeType.LoopRecorder, { track: 1 })]);
      await engineUp();
      const res = await helper.request().get('/loopstation/devices');
      assert.deepEqual(res.body, { devices: [] });
      assert.equal(factory.made, 1);
    });

    it('GET /loopstation/devices answers 200 with the error when listing fails', async () => {
      const factory = new CountingFactory((client) => {
        client.request = () => Promise.reject(new Error('ALSA lib: cannot find card 0'));
      });
      await loadWithFactory([engineDef()], factory);
      const res = await helper.request().get('/loopstation/devices');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { devices: [], error: 'ALSA lib: cannot find card 0' });
      assert.equal(factory.running, 0);
    });

    it('POST /loopstation/:id/calibrate measures on the deployed engine', async () => {
      const factory = new CountingFactory((client) => {
        const request = client.request.bind(client);
        client.request = (q) => (q.type === 'calibrate' ? Promise.resolve({ inputLatencyFrames: 412 }) : request(q));
      });
      await loadWithFactory([engineDef(), ...userNode('rec', NodeType.LoopRecorder, { track: 1 })], factory);
      await engineUp();
      const res = await helper.request().post('/loopstation/engine/calibrate');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { inputLatencyFrames: 412 });
    });

    it('POST /loopstation/:id/calibrate says why it cannot measure (no device: 409)', async () => {
      await loadWithFactory([engineDef(), ...userNode('rec', NodeType.LoopRecorder, { track: 1 })]);
      await engineUp();
      const res = await helper.request().post('/loopstation/engine/calibrate');
      assert.equal(res.status, 409);
      assert.deepEqual(res.body, { error: 'calibration needs an audio device with a loopback: the in-process engine has no input to measure' });
    });

    it('POST /loopstation/:id/calibrate for an engine that is not deployed: 404 saying to deploy', async () => {
      await loadWithFactory([engineDef()]);
      const res = await helper.request().post('/loopstation/nonesuch/calibrate');
      assert.equal(res.status, 404);
      assert.match(String(res.body.error), /^deploy the engine/);
    });
  });
});
