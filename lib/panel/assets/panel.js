// loopstation panel: follows the engine over Server-Sent Events ("events": a snapshot, then the
// engine's events as they sound) and posts commands ("command"). Plain browser JavaScript, no build
// step, no framework: the page has to load fast on a Pi's browser and on an old tablet.
'use strict';

(function () {
  var STATE_LABEL = {
    empty: 'empty', recording: 'recording', playing: 'playing', overdubbing: 'overdubbing', stopped: 'stopped',
    multiplying: 'multiplying', replacing: 'replacing', oneshot: 'one shot', substituting: 'substituting',
    inserting: 'inserting',
  };
  /** what the big button (toggle) does next, like a pedal */
  var NEXT = { empty: 'REC', recording: 'PLAY', playing: 'DUB', overdubbing: 'PLAY', stopped: 'PLAY', multiplying: 'PLAY', replacing: 'PLAY', oneshot: 'PLAY', substituting: 'PLAY', inserting: 'PLAY' };
  var RING = 2 * Math.PI * 46;
  var MAX_DOTS = 16;

  var view = {
    tracks: [],
    sampleRate: 48000,
    bpm: 120,
    beatsPerBar: 4,
    metronome: true,
    /** the engine frame heard at performance.now() === clock.at */
    clock: null,
    levels: { input: [0, 0], output: [0, 0] },
    shown: { input: [0, 0], output: [0, 0] },
    /** per track: the peaks since the last frame, and those shown (docs/routing.md: the track meters) */
    trackLevels: [],
    trackShown: [],
    beatTimer: 0,
  };
  var cards = [];
  var $ = function (id) { return document.getElementById(id); };

  // ------------------------------------------------------------ commands

  // every command carries the token the server put in this page: other sites cannot read it
  var tokenMeta = document.querySelector('meta[name="loopstation-token"]');
  var token = tokenMeta ? tokenMeta.getAttribute('content') : '';

  function post(body) {
    if (navigator.vibrate) navigator.vibrate(8);
    return fetch('command', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Loopstation-Token': token }, body: JSON.stringify(body) })
      .then(function (res) {
        if (res.ok) return;
        return res.json().then(function (r) { toast(r.error || res.statusText, true); }, function () { toast(res.status + ' ' + res.statusText, true); });
      })
      .catch(function () { toast('the panel cannot reach Node-RED', true); });
  }

  // ------------------------------------------------------------ the page

  function build(snapshot) {
    var main = $('tracks');
    main.textContent = '';
    cards = [];
    var template = $('track-template');
    snapshot.tracks.forEach(function (t) {
      var el = template.content.firstElementChild.cloneNode(true);
      var card = {
        el: el,
        big: el.querySelector('.big'),
        label: el.querySelector('.big-label'),
        state: el.querySelector('.state'),
        length: el.querySelector('.length'),
        ring: el.querySelector('.ring-fg'),
        fader: el.querySelector('input[type=range]'),
        volume: el.querySelector('output'),
        mute: el.querySelector('.mute'),
        clear: el.querySelector('[data-command=clear]'),
        meter: el.querySelectorAll('.track-meter i'),
        source: el.querySelector('select.source'),
        cue: el.querySelector('select.cue'),
        dragging: false,
        sendTimer: 0,
        clearTimer: 0,
      };
      el.dataset.track = String(t.track);
      el.querySelector('.num').textContent = String(t.track);
      buildRouting(card, snapshot.routing || { inputChannels: 2, outputBuses: 1 });
      card.big.setAttribute('aria-label', 'track ' + t.track + ': record, play, overdub');
      wireCard(card, t.track);
      cards.push(card);
      main.appendChild(el);
    });
  }

  /** The input and cue choices of an engine with more than stereo (a stereo engine shows none). */
  function buildRouting(card, routing) {
    var n = routing.inputChannels;
    var add = function (select, value, text) {
      var o = document.createElement('option');
      o.value = value;
      o.textContent = text;
      select.appendChild(o);
    };
    add(card.source, 'all', n === 1 ? '1' : '1-2');
    for (var k = 1; k <= n; k++) add(card.source, String(k), String(k));
    for (k = 1; k < n; k++) add(card.source, k + '-' + (k + 1), k + '-' + (k + 1));
    add(card.cue, '0', 'none');
    for (var b = 2; b <= routing.outputBuses; b++) add(card.cue, String(b), (2 * b - 1) + '-' + 2 * b);
    card.el.querySelector('.route').hidden = n === 2 && routing.outputBuses === 1;
  }

  /** A source code (the engine's: 0 all, k mono, -k the pair k-(k+1)) as the select's value. */
  function sourceValue(code) {
    return !code ? 'all' : code > 0 ? String(code) : -code + '-' + (1 - code);
  }

  function wireCard(card, track) {
    card.source.addEventListener('change', function () {
      post({ command: 'input', track: track, value: card.source.value });
    });
    card.cue.addEventListener('change', function () {
      post({ command: 'cueBus', track: track, value: Number(card.cue.value) });
    });
    // pointerdown, not click: a pedal acts when pressed, not when let go
    card.big.addEventListener('pointerdown', function (ev) {
      if (ev.button !== 0) return;
      ev.preventDefault();
      post({ command: 'toggle', track: track });
    });
    card.big.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); post({ command: 'toggle', track: track }); }
    });
    card.el.querySelectorAll('.small button').forEach(function (b) {
      b.dataset.label = b.innerHTML;
      b.addEventListener('click', function () {
        var command = b.dataset.command;
        // clear, and deleting a loop with something in it, are final: a second tap within 2.5 s confirms
        var t = view.tracks[track - 1];
        var final = command === 'clear' || (command === 'deleteLoop' && t && t.state !== 'empty');
        if (final && !b.classList.contains('armed')) {
          b.classList.add('armed');
          b.textContent = 'sure?';
          clearTimeout(card.clearTimer);
          card.clearTimer = setTimeout(function () { disarm(b); }, 2500);
          return;
        }
        disarm(b);
        post({ command: command, track: track });
      });
    });
    card.fader.addEventListener('input', function () {
      card.dragging = true;
      card.volume.textContent = Math.round(card.fader.value * 100) + '%';
      if (!card.sendTimer) {
        card.sendTimer = setTimeout(function () {
          card.sendTimer = 0;
          post({ command: 'volume', track: track, value: Number(card.fader.value) });
        }, 50);
      }
    });
    card.fader.addEventListener('change', function () {
      card.dragging = false;
      post({ command: 'volume', track: track, value: Number(card.fader.value) });
    });
    card.fader.addEventListener('dblclick', function () {
      card.fader.value = '1';
      card.volume.textContent = '100%';
      post({ command: 'volume', track: track, value: 1 });
    });
    card.mute.addEventListener('click', function () {
      post({ command: card.mute.getAttribute('aria-pressed') === 'true' ? 'unmute' : 'mute', track: track });
    });
  }

  function disarm(b) {
    b.classList.remove('armed');
    b.innerHTML = b.dataset.label;
  }

  function renderTrack(t) {
    var card = cards[t.track - 1];
    if (!card) return;
    view.tracks[t.track - 1] = t;
    var el = card.el;
    // the tracks are the most loops there can be: only live loops are shown
    el.hidden = t.live === false;
    renderAddLoop();
    el.dataset.state = t.state;
    if (t.pending) el.dataset.pending = t.pending;
    else delete el.dataset.pending;
    card.state.textContent = t.pending ? 'waiting → ' + t.pending : STATE_LABEL[t.state] || t.state;
    card.label.textContent = t.pending ? '…' : NEXT[t.state] || '';
    card.length.textContent = t.frames > 0 ? lengthText(t) : '';
    card.source.value = sourceValue(t.source);
    card.cue.value = String(t.cueBus || 0);
    renderMixer(t);
  }

  /** "+ loop" takes the first free track: there is none when every track is a loop */
  function renderAddLoop() {
    var free = false;
    for (var i = 0; i < cards.length; i++) if (view.tracks[i] && view.tracks[i].live === false) free = true;
    $('add-loop').disabled = !free;
  }

  function lengthText(t) {
    var bars = t.bars;
    var b = Math.abs(bars - Math.round(bars)) < 0.01 ? String(Math.round(bars)) : bars.toFixed(1);
    return b + (b === '1' ? ' bar' : ' bars') + ' · ' + t.seconds.toFixed(1) + ' s';
  }

  function renderMixer(t) {
    var card = cards[t.track - 1];
    if (!card) return;
    if (!card.dragging) {
      card.fader.value = String(t.volume);
      card.volume.textContent = Math.round(t.volume * 100) + '%';
    }
    card.mute.setAttribute('aria-pressed', t.muted ? 'true' : 'false');
    card.el.classList.toggle('muted', !!t.muted);
  }

  function renderBeats(count) {
    var beats = $('beats');
    var n = Math.min(count, MAX_DOTS);
    if (beats.childElementCount === n) return;
    beats.textContent = '';
    for (var i = 0; i < n; i++) {
      var dot = document.createElement('span');
      dot.className = i === 0 ? 'beat down' : 'beat';
      beats.appendChild(dot);
    }
  }

  function beat(e) {
    view.clock = { frame: e.frame, at: performance.now() };
    var beats = $('beats');
    beats.dataset.beat = String(e.beat);
    beats.dataset.beatInBar = String(e.beatInBar);
    var dots = beats.children;
    for (var i = 0; i < dots.length; i++) dots[i].classList.toggle('on', i === e.beatInBar % MAX_DOTS);
    // the dot fades out over the beat (CSS transition from .on)
    clearTimeout(view.beatTimer);
    var beatMs = 60000 / view.bpm;
    view.beatTimer = setTimeout(function () {
      for (var j = 0; j < dots.length; j++) dots[j].classList.remove('on');
    }, Math.min(beatMs * 0.45, 250));
  }

  function renderTempo() {
    $('bpm-value').textContent = formatBpm(view.bpm);
    $('click').setAttribute('aria-pressed', view.metronome ? 'true' : 'false');
    renderBeats(view.beatsPerBar);
  }

  /** Under Ableton Link: the session's peer count beside the tempo (a tempo set here is the session's). */
  function renderLink(link) {
    var el = $('link');
    el.hidden = !link;
    if (!link) return;
    el.textContent = 'Link · ' + link.peers + (link.peers === 1 ? ' peer' : ' peers') + (link.playing ? ' · ▶' : '');
  }

  function formatBpm(bpm) {
    return Math.abs(bpm - Math.round(bpm)) < 0.05 ? String(Math.round(bpm)) : bpm.toFixed(1);
  }

  function renderEngine(engine) {
    view.sampleRate = engine.sampleRate;
    view.soundDelayFrames = engine.soundDelayFrames || 0;
    var el = $('engine');
    el.dataset.status = engine.status;
    var text;
    switch (engine.status) {
      case 'running': text = (engine.backend === 'null' ? 'null device (silent)' : 'audio device') + ' · ' + engine.sampleRate / 1000 + ' kHz · ' + engine.blockFrames; break;
      case 'no-device': text = 'no sound card: null device (silent)'; break;
      case 'starting': text = 'engine starting…'; break;
      case 'crashed': text = 'engine crashed: restarting…'; break;
      case 'misconfigured': text = 'engine settings invalid'; break;
      default: text = 'engine stopped';
    }
    if (engine.autosaveOff && engine.status === 'running') text += ' · autosave off';
    el.textContent = text;
    el.title = engine.notice || text;
    renderRestored(engine.restored);
  }

  // the loops the engine found in its autosave at start, and where they live: until dismissed
  var dismissedRestore = null;
  function renderRestored(text) {
    var el = $('restored');
    el.hidden = !text || text === dismissedRestore;
    el.querySelector('span').textContent = text || '';
  }

  function renderXruns(count) {
    var el = $('xruns');
    el.querySelector('b').textContent = String(count);
    el.classList.toggle('hot', count > 0);
  }

  // ------------------------------------------------------------ animation: rings and meters

  function nowFrame() {
    if (!view.clock) return null;
    return view.clock.frame + ((performance.now() - view.clock.at) * view.sampleRate) / 1000;
  }

  function meterWidth(peak) {
    if (!(peak > 0)) return 0;
    var db = 20 * Math.log10(peak);
    return Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
  }

  function frame() {
    var now = nowFrame();
    for (var i = 0; i < cards.length; i++) {
      var t = view.tracks[i];
      var card = cards[i];
      if (!t) continue;
      var fraction = 0;
      if (t.state === 'recording' && t.since !== null && t.since !== undefined && now !== null) {
        // a recording has no length yet: the ring counts bars as they go
        var bar = (60 * view.sampleRate * view.beatsPerBar) / view.bpm;
        fraction = Math.max(0, (((now - t.since) % bar) + bar) % bar) / bar;
      } else if (t.frames > 0 && t.anchor !== null && t.anchor !== undefined && now !== null) {
        fraction = ((((now - t.anchor) % t.frames) + t.frames) % t.frames) / t.frames;
      } else if (t.frames > 0) {
        fraction = 1;
      }
      card.ring.style.strokeDashoffset = String(RING * (1 - fraction));
      card.ring.style.opacity = fraction > 0.002 ? '1' : '0';
    }
    ['input', 'output'].forEach(function (side) {
      var bars = $(side === 'input' ? 'meter-in' : 'meter-out').querySelectorAll('i');
      for (var c = 0; c < 2; c++) {
        // fast attack, slow release, like a hardware meter
        var shown = Math.max(view.levels[side][c], view.shown[side][c] * 0.9);
        view.shown[side][c] = shown;
        bars[c].style.backgroundSize = meterWidth(shown) + '% 100%, 100% 100%';
      }
      view.levels[side] = [0, 0];
    });
    for (i = 0; i < cards.length; i++) {
      var peaks = view.trackLevels[i] || [0, 0];
      var shownTrack = view.trackShown[i] || [0, 0];
      for (var side = 0; side < 2; side++) {
        shownTrack[side] = Math.max(peaks[side], shownTrack[side] * 0.9);
        cards[i].meter[side].style.backgroundSize = meterWidth(shownTrack[side]) + '% 100%, 100% 100%';
      }
      view.trackShown[i] = shownTrack;
      view.trackLevels[i] = [0, 0];
    }
    requestAnimationFrame(frame);
  }

  // ------------------------------------------------------------ the event stream

  var source = null;
  var reconnectTimer = 0;

  function connect() {
    clearTimeout(reconnectTimer);
    if (source) source.close();
    source = new EventSource('events');
    source.addEventListener('open', function () { banner(null); });
    source.addEventListener('error', function () {
      banner('reconnecting to Node-RED…');
      // EventSource retries by itself unless the server answered with an error (a redeploy: 404)
      if (source.readyState === EventSource.CLOSED) reconnectTimer = setTimeout(connect, 1500);
    });
    on('snapshot', function (s) {
      document.title = s.name + ' · loopstation';
      $('name').textContent = s.name;
      view.bpm = s.bpm;
      view.beatsPerBar = s.beatsPerBar;
      view.metronome = s.metronome;
      renderEngine(s.engine);
      if (cards.length !== s.tracks.length) build(s);
      view.tracks = [];
      s.tracks.forEach(renderTrack);
      renderTempo();
      renderXruns(s.xruns);
      renderLink(s.link);
      if (s.beat && !view.clock) view.clock = { frame: s.beat.frame, at: performance.now() };
    });
    on('state', function (e) {
      var t = view.tracks[e.track - 1];
      if (!t) return;
      if (e.state !== t.state) t.since = e.frame;
      if (t.state === 'recording' && e.state !== 'recording' && e.frames > 0) t.anchor = e.frame;
      if (e.state === 'empty') t.anchor = null;
      t.state = e.state;
      t.frames = e.frames;
      t.seconds = e.seconds;
      t.bars = e.bars;
      t.pending = null;
      renderTrack(t);
    });
    on('pending', function (e) {
      var t = view.tracks[e.track - 1];
      if (!t) return;
      t.pending = e.state;
      t.pendingFrame = e.frame;
      renderTrack(t);
    });
    on('track', function (e) { renderTrack(e.track); });
    on('mixer', function (e) {
      var t = view.tracks[e.track - 1];
      if (!t) return;
      t.volume = e.volume;
      t.muted = e.muted;
      t.soloed = e.soloed;
      renderMixer(t);
    });
    on('beat', beat);
    on('link', renderLink);
    on('tempo', function (e) {
      view.bpm = e.bpm;
      view.beatsPerBar = e.beatsPerBar;
      renderTempo();
    });
    on('transport', function (e) {
      view.bpm = e.bpm;
      view.beatsPerBar = e.beatsPerBar;
      view.metronome = e.metronome;
      renderTempo();
    });
    on('levels', function (e) {
      for (var c = 0; c < 2; c++) {
        view.levels.input[c] = Math.max(view.levels.input[c], e.input[c]);
        view.levels.output[c] = Math.max(view.levels.output[c], e.output[c]);
      }
      (e.tracks || []).forEach(function (t, i) {
        var held = view.trackLevels[i] || [0, 0];
        view.trackLevels[i] = [Math.max(held[0], t.peak[0]), Math.max(held[1], t.peak[1])];
      });
    });
    on('xrun', function (e) { renderXruns(e.count); });
    on('engine', function (e) { renderEngine(e.engine); });
    on('error', function (e) { toast((e.track ? 'track ' + e.track + ': ' : '') + e.message, true); });
  }

  function on(type, handler) {
    source.addEventListener(type, function (ev) {
      // the stream's own 'error' (a dropped connection) has no data: it is handled in connect()
      if (typeof ev.data !== 'string') return;
      var data;
      try { data = JSON.parse(ev.data); } catch (err) { return; }
      handler(data);
    });
  }

  // ------------------------------------------------------------ messages

  var toastTimer = 0;
  function toast(text, isError) {
    var el = $('toast');
    el.textContent = text;
    el.classList.toggle('error', !!isError);
    el.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.classList.remove('show'); }, 3500);
  }

  function banner(text) {
    var el = $('banner');
    el.hidden = !text;
    if (text) el.textContent = text;
  }

  // ------------------------------------------------------------ tempo controls

  function setBpm(bpm) {
    if (!(bpm >= 20 && bpm <= 400)) { toast('tempo: accepted 20 to 400 bpm', true); return; }
    post({ command: 'bpm', value: Math.round(bpm * 10) / 10 });
  }

  function wireTransport() {
    $('bpm-down').addEventListener('click', function () { setBpm(Math.round(view.bpm) - 1); });
    $('bpm-up').addEventListener('click', function () { setBpm(Math.round(view.bpm) + 1); });
    var input = $('bpm-input');
    var button = $('bpm');
    button.addEventListener('click', function () {
      input.value = formatBpm(view.bpm);
      button.hidden = true;
      input.hidden = false;
      input.focus();
      input.select();
    });
    var done = function (apply) {
      if (input.hidden) return;
      input.hidden = true;
      button.hidden = false;
      if (apply && input.value !== '' && Number(input.value) !== view.bpm) setBpm(Number(input.value));
    };
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') done(true);
      if (ev.key === 'Escape') done(false);
    });
    input.addEventListener('blur', function () { done(true); });
    var taps = [];
    $('tap').addEventListener('pointerdown', function () {
      var now = performance.now();
      if (taps.length && now - taps[taps.length - 1] > 2000) taps = [];
      taps.push(now);
      if (taps.length > 5) taps.shift();
      if (taps.length >= 3) setBpm(60000 / ((taps[taps.length - 1] - taps[0]) / (taps.length - 1)));
    });
    $('click').addEventListener('click', function () { post({ command: 'metronome', value: !view.metronome }); });
    $('add-loop').addEventListener('click', function () { post({ command: 'addLoop' }); });
    // a USB foot switch that types digits: 1-9 toggle that track, shift+digit stops it
    document.addEventListener('keydown', function (ev) {
      if (ev.target instanceof HTMLInputElement || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      var m = /^Digit([1-9])$/.exec(ev.code);
      if (!m) return;
      var track = Number(m[1]);
      if (track > cards.length || (view.tracks[track - 1] && view.tracks[track - 1].live === false)) return;
      ev.preventDefault();
      post({ command: ev.shiftKey ? 'stop' : 'toggle', track: track });
    });
    // keep a tablet's screen on while the panel is open (where the browser allows it)
    document.addEventListener('pointerdown', function wake() {
      if (navigator.wakeLock && document.visibilityState === 'visible') navigator.wakeLock.request('screen').catch(function () {});
    }, { once: true });
  }

  wireTransport();
  $('restored').querySelector('button').addEventListener('click', function () {
    dismissedRestore = $('restored').querySelector('span').textContent;
    $('restored').hidden = true;
  });
  connect();
  requestAnimationFrame(frame);
})();
