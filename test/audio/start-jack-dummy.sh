#!/bin/sh
# Starts a private JACK server on the dummy backend (48 kHz, 256 frames: paced like a card, no sound
# card needed) named "loopstation-test", for the audio bridge's JACK tests. Tests reach it with
# JACK_DEFAULT_SERVER=loopstation-test. Needs: apt-get install -y jackd2 (answer "no" to realtime).
# Idempotent: does nothing when the server already answers. Exit 0 when it is ready.
set -eu
name="${LOOPSTATION_JACK_SERVER:-loopstation-test}"
if ! command -v jackd >/dev/null 2>&1; then
  echo "start-jack-dummy: jackd is not installed (apt-get install -y jackd2)" >&2
  exit 1
fi
export JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
if jack_lsp -s "$name" >/dev/null 2>&1; then
  exit 0
fi
# a JACK server that was killed leaves its entry in the shared-memory registry, and after a few of them
# jackd refuses to start ("Too many servers already active"): with no jackd running, none is in use
# (jack_db-* are directories: the metadata store)
if ! pgrep -x jackd >/dev/null 2>&1; then
  rm -rf /dev/shm/jack-shm-registry /dev/shm/jack_* /dev/shm/jack-[0-9]*
fi
nohup jackd -n "$name" --no-realtime -d dummy -r 48000 -p 256 >"${TMPDIR:-/tmp}/jackd-$name.log" 2>&1 &
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  if jack_lsp -s "$name" >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "start-jack-dummy: the JACK server $name did not come up (see ${TMPDIR:-/tmp}/jackd-$name.log)" >&2
exit 1
