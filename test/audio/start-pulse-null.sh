#!/bin/sh
# Starts a PulseAudio daemon with one null sink, "loop" (48 kHz s16 stereo, so a 48 kHz stream passes
# through unresampled), and its monitor source "loop.monitor" for loopback tests. Paced like a card.
# Needs: apt-get install -y pulseaudio libasound2-plugins (the ALSA "pulse" device PortAudio opens).
# Works as root (PulseAudio warns that it is not meant to run as root; the warning is harmless here).
# Idempotent: does nothing when a daemon already answers. Exit 0 when the sink is ready.
set -eu
if ! command -v pulseaudio >/dev/null 2>&1; then
  echo "start-pulse-null: pulseaudio is not installed (apt-get install -y pulseaudio libasound2-plugins)" >&2
  exit 1
fi
if pulseaudio --check 2>/dev/null; then
  pactl list short sinks 2>/dev/null | grep -q '^[0-9]*[[:space:]]loop[[:space:]]' \
    || pactl load-module module-null-sink sink_name=loop rate=48000 format=s16le channels=2 >/dev/null
else
  pulseaudio --daemonize=yes --exit-idle-time=-1 -n \
    --load="module-null-sink sink_name=loop rate=48000 format=s16le channels=2" \
    --load="module-native-protocol-unix" 2>/dev/null
fi
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if pactl list short sinks 2>/dev/null | grep -q '^[0-9]*[[:space:]]loop[[:space:]]'; then
    pactl set-default-sink loop
    pactl set-default-source loop.monitor
    pactl set-sink-volume loop 100%
    exit 0
  fi
  sleep 0.5
done
echo "start-pulse-null: the daemon did not come up with sink loop" >&2
exit 1
