import { strict as assert } from 'assert';
import { OscError, OscMessage, coerce, decodePacket, encodeBundle, encodeMessage } from '../../lib/osc/codec';
import { parseReturnUrl, serverUrl } from '../../lib/osc/url';
import { rng } from '../engine/harness';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// The two examples of the OSC 1.0 specification, byte for byte.
const SPEC_FREQUENCY = hex('2f6f7363 696c6c61 746f722f 342f6672 65717565 6e637900 2c660000 43dc0000');
const SPEC_FOO = hex('2f666f6f 00000000 2c696973 66660000 000003e8 ffffffff 68656c6c 6f000000 3f9df3b6 40b5b22d');

describe('osc codec', () => {
  it('encodes the specification examples byte for byte', () => {
    assert.deepEqual(encodeMessage('/oscillator/4/frequency', 'f', [440]), SPEC_FREQUENCY);
    assert.deepEqual(encodeMessage('/foo', 'iisff', [1000, -1, 'hello', 1.234, 5.678]), SPEC_FOO);
  });

  it('decodes the specification examples', () => {
    assert.deepEqual(decodePacket(SPEC_FREQUENCY), [{ address: '/oscillator/4/frequency', types: 'f', args: [440] }]);
    const [foo] = decodePacket(SPEC_FOO);
    assert.equal(foo.address, '/foo');
    assert.equal(foo.types, 'iisff');
    assert.deepEqual(foo.args.slice(0, 3), [1000, -1, 'hello']);
    assert.equal(foo.args[3], Math.fround(1.234));
    assert.equal(foo.args[4], Math.fround(5.678));
  });

  it('round-trips every type it writes, and reads the ones it only reads', () => {
    const blob = Buffer.from([1, 2, 3, 4, 5]);
    const msg = encodeMessage('/t', 'ifdhsbTFN', [-7, 0.5, 1 / 3, -(2n ** 40n), 'abc', blob]);
    assert.deepEqual(decodePacket(msg), [{ address: '/t', types: 'ifdhsbTFN', args: [-7, 0.5, 1 / 3, -(2n ** 40n), 'abc', blob, true, false, null] }]);
    // c (char), m (MIDI), r (colour), t (time tag), I (impulse), S (symbol): built by hand
    const extra = Buffer.concat([
      encodeMessage('/x', '', []).subarray(0, 4),
      Buffer.from(',cmrtIS\0', 'latin1'),
      hex('00000041 00903c7f ff0000ff 00000000 00000001'),
      Buffer.from('sym\0', 'latin1'),
    ]);
    assert.deepEqual(decodePacket(extra)[0].args, ['A', 0x00903c7f, 0xff0000ff, 1n, Infinity, 'sym']);
  });

  it('flattens bundles, nested ones too, in order', () => {
    const a = encodeMessage('/a', 'i', [1]);
    const b = encodeMessage('/b', 's', ['x']);
    const packet = encodeBundle([a, encodeBundle([b, a])]);
    assert.deepEqual(decodePacket(packet).map((m) => m.address), ['/a', '/b', '/a']);
  });

  const malformed: [string, Buffer][] = [
    ['an empty packet', Buffer.alloc(0)],
    ['a length that is not a multiple of 4', Buffer.from('/ab\0\0', 'latin1')],
    ['an address with no NUL', Buffer.from('/abc', 'latin1')],
    ['non-zero padding', Buffer.from('/a\0x,\0\0\0', 'latin1')],
    ['an address without "/"', Buffer.from('ab\0\0,\0\0\0', 'latin1')],
    ['no type tag string', Buffer.from('/ab\0', 'latin1')],
    ['a type tag string without ","', Buffer.from('/ab\0i\0\0\0\0\0\0\x01', 'latin1')],
    ['an unknown type tag', Buffer.from('/ab\0,q\0\0', 'latin1')],
    ['a truncated int32', Buffer.from('/ab\0,ii\0\0\0\0\x01', 'latin1')],
    ['a truncated double', Buffer.from('/ab\0,d\0\0\0\0\0\x01', 'latin1')],
    ['a string argument running off the end', Buffer.from('/ab\0,s\0\0abcd', 'latin1')],
    ['a negative blob size', Buffer.concat([Buffer.from('/ab\0,b\0\0', 'latin1'), hex('ffffffff')])],
    ['a blob larger than the packet', Buffer.concat([Buffer.from('/ab\0,b\0\0', 'latin1'), hex('7fffffff')])],
    ['bytes after the last argument', Buffer.concat([encodeMessage('/a', 'i', [1]), hex('00000000')])],
    ['a "#" that is not a bundle', Buffer.from('#bundlX\0', 'latin1')],
    ['a bundle without its time tag', Buffer.from('#bundle\0\0\0\0\0', 'latin1')],
    ['a bundle element of size 0', Buffer.concat([encodeBundle([]), hex('00000000')])],
    ['a bundle element larger than the bundle', Buffer.concat([encodeBundle([]), hex('00000040'), encodeMessage('/a', '', [])])],
    ['a bundle element that is malformed', encodeBundle([Buffer.from('/ab\0,q\0\0', 'latin1')])],
  ];
  for (const [what, packet] of malformed) {
    it(`refuses ${what} with an OscError`, () => {
      assert.throws(() => decodePacket(packet), OscError);
    });
  }

  it('refuses bundles nested deeper than 8', () => {
    let p = encodeMessage('/a', '', []);
    for (let i = 0; i < 8; i++) p = encodeBundle([p]);
    assert.equal(decodePacket(p).length, 1);
    assert.throws(() => decodePacket(encodeBundle([p])), /nested deeper/);
  });

  it('never throws anything but OscError on 20000 random and mutated packets', () => {
    const r = rng(9);
    const seeds = [SPEC_FOO, SPEC_FREQUENCY, encodeBundle([SPEC_FOO, encodeBundle([SPEC_FREQUENCY])]), encodeMessage('/sl/0/get', 'sss', ['state', 'osc.udp://127.0.0.1:1/', '/x'])];
    let decoded = 0;
    for (let i = 0; i < 20000; i++) {
      let p: Buffer;
      if (i % 2 === 0) {
        p = Buffer.from(seeds[i % seeds.length]);
        for (let k = 1 + Math.floor(r() * 4); k > 0; k--) p[Math.floor(r() * p.length)] = Math.floor(r() * 256);
        if (r() < 0.2) p = p.subarray(0, Math.floor(r() * p.length) & ~3);
      } else {
        p = Buffer.alloc(Math.floor(r() * 16) * 4);
        for (let k = 0; k < p.length; k++) p[k] = r() < 0.5 ? Math.floor(r() * 128) : 0;
        if (p.length > 0) p[0] = r() < 0.5 ? 0x2f : 0x23;
      }
      try {
        decodePacket(p);
        decoded++;
      } catch (err) {
        if (!(err instanceof OscError)) throw err;
      }
    }
    assert.ok(decoded > 100, `only ${decoded} of the mutated packets decoded: the fuzz does not reach the argument readers`);
  });

  it('refuses to encode what does not fit its tag', () => {
    assert.throws(() => encodeMessage('/a', 'i', [1.5]), OscError);
    assert.throws(() => encodeMessage('/a', 'i', [2 ** 31]), OscError);
    assert.throws(() => encodeMessage('/a', 's', [1]), OscError);
    assert.throws(() => encodeMessage('/a', 's', ['a\0b']), OscError);
    assert.throws(() => encodeMessage('/a', 'ii', [1]), OscError);
    assert.throws(() => encodeMessage('/a', 'x', [1]), OscError);
  });

  describe('coerce (liblo method signatures)', () => {
    const msg = (types: string, args: OscMessage['args']): OscMessage => ({ address: '/x', types, args });
    it('converts i, h, f and d into each other, and S into s', () => {
      assert.deepEqual(coerce(msg('si', ['wet', 1]), 'sf'), ['wet', 1]);
      assert.deepEqual(coerce(msg('Sd', ['wet', 0.1]), 'sf'), ['wet', Math.fround(0.1)]);
      assert.deepEqual(coerce(msg('sf', ['x', 15.9]), 'si'), ['x', 15]);
      assert.deepEqual(coerce(msg('sh', ['x', 20n]), 'si'), ['x', 20]);
    });
    it('refuses other conversions, other counts and non-finite numbers', () => {
      assert.equal(coerce(msg('ss', ['wet', '1']), 'sf'), null);
      assert.equal(coerce(msg('if', [1, 1]), 'sf'), null);
      assert.equal(coerce(msg('s', ['wet']), 'sf'), null);
      assert.equal(coerce(msg('sfi', ['wet', 1, 1]), 'sf'), null);
      assert.equal(coerce(msg('sd', ['wet', NaN]), 'sf'), null);
      assert.equal(coerce(msg('sT', ['wet', true]), 'sf'), null);
    });
  });

  describe('return urls', () => {
    it('reads liblo URLs, adds osc.udp:// where it is missing, refuses other transports', () => {
      assert.deepEqual(parseReturnUrl('osc.udp://127.0.0.1:9952/'), { host: '127.0.0.1', port: 9952 });
      assert.deepEqual(parseReturnUrl('osc.udp://my-tablet.local:8000'), { host: 'my-tablet.local', port: 8000 });
      assert.deepEqual(parseReturnUrl('localhost:9000/'), { host: 'localhost', port: 9000 });
      assert.deepEqual(parseReturnUrl('osc.udp://[::1]:7000/'), { host: '::1', port: 7000 });
      for (const bad of ['osc.tcp://127.0.0.1:1/', 'osc.unix:///tmp/sock', 'osc.udp://127.0.0.1/', 'osc.udp://h:0/', 'osc.udp://h:70000/', '', 'osc.udp://a b:1/']) {
        assert.equal(parseReturnUrl(bad), null, bad);
      }
    });
    it('writes its own URL as liblo does', () => {
      assert.equal(serverUrl('127.0.0.1', 9951), 'osc.udp://127.0.0.1:9951/');
      assert.equal(serverUrl('::1', 9951), 'osc.udp://[::1]:9951/');
    });
  });
});
