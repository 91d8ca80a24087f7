import { strict as assert } from 'assert';
import { registerAdminRoutes } from '../../lib/control/engine-node';
import { NodeAPI } from '../../lib/control/red';
import { StatusView } from '../../lib/control/status';
import { translator } from '../../lib/control/wiring';
import { NodeStatus } from '../../lib/control/red';

// The Node-RED glue that the helper-based tests cannot see: permissions on the admin routes, the
// catalog fallback, and which status wins.

describe('control: admin routes', () => {
  it('guard the device list with loopstation.read and calibration with loopstation.write', () => {
    const routes: [string, string, string][] = [];
    const guard = (permission: string) => Object.assign(() => undefined, { permission });
    const RED = {
      auth: { needsPermission: guard },
      httpAdmin: {
        get: (path: string, g: { permission: string }) => routes.push(['GET', path, g.permission]),
        post: (path: string, g: { permission: string }) => routes.push(['POST', path, g.permission]),
      },
      settings: {},
    } as unknown as NodeAPI;
    registerAdminRoutes(RED, new Set());
    assert.deepEqual(routes, [
      ['GET', '/loopstation/devices', 'loopstation.read'],
      ['POST', '/loopstation/:id/calibrate', 'loopstation.write'],
    ]);
  });
});

describe('control: translator', () => {
  it('uses the catalog when it answers, the English text when it returns the key (bare or namespaced)', () => {
    const catalog: Record<string, string> = { 'ns:a.b': 'from the catalog' };
    const t = translator({ _: (key: string) => catalog[key] ?? key.slice(key.indexOf(':') + 1) });
    assert.equal(t('ns:a.b', {}, 'english'), 'from the catalog');
    assert.equal(t('ns:a.missing', {}, 'english'), 'english');
    assert.equal(translator({ _: (key: string) => key })('x.y', {}, 'english'), 'english');
  });
});

describe('control: status view', () => {
  function view(deviceNode = false) {
    const shown: NodeStatus[] = [];
    return { v: new StatusView((s) => shown.push(s), deviceNode), last: () => shown[shown.length - 1] };
  }
  const own = { fill: 'green', shape: 'dot', text: 'playing' } as const;

  it('shows the engine status until the engine runs, then the node\'s own', () => {
    const { v, last } = view();
    v.setOwn(own);
    assert.match(String(last().text), /status\.stopped$/);
    v.setEngine('starting');
    assert.match(String(last().text), /status\.starting$/);
    v.setEngine('running');
    assert.deepEqual(last(), own);
    v.setEngine('crashed');
    assert.deepEqual(last(), { fill: 'red', shape: 'ring', text: 'node-red-contrib-loopstation/loopstation-engine:loopstation-engine.status.crashed' });
  });

  it('without a device: own status for looper nodes, "not available" for audio in/out', () => {
    const looper = view();
    looper.v.setOwn(own);
    looper.v.setEngine('no-device');
    assert.deepEqual(looper.last(), own);
    const device = view(true);
    device.v.setOwn(own);
    device.v.setEngine('no-device');
    assert.deepEqual(device.last(), { fill: 'grey', shape: 'ring', text: 'node-red-contrib-loopstation/loopstation-engine:loopstation-engine.status.not-available' });
  });

  it('a failure shows as a red ring, whatever the engine does, until the next change', () => {
    const { v, last } = view();
    v.setEngine('running');
    v.fail('bad msg.payload');
    assert.deepEqual(last(), { fill: 'red', shape: 'ring', text: 'bad msg.payload' });
    v.setOwn(own);
    assert.deepEqual(last(), own);
  });
});
