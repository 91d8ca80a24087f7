#!/bin/sh
# Starts a PulseAudio daemon with two null sinks (48 kHz s16 stereo, so a 48 kHz stream passes through
# unresampled), paced like a card:
#   "loop"      the default sink: what the looper plays. Its monitor, "loop.monitor", is what the
#               loopback tests record (they name it in PULSE_SOURCE themselves).
#   "loop_in"   a second sink whose monitor, "loop_in.monitor", is the default source: the looper's
#               input. Play something into it (paplay -d loop_in file.wav) to record it. It is not the
#               output's monitor, so what the looper plays does not come back in (no feedback loop).
#   "loop4"     a 4-channel sink for the routing test (test/audio/routing-pulse.test.ts): a 4-out
#               device whose monitor, "loop4.monitor", is a 4-in one, so outputs 1-4 come back on inputs 1-4.
# Needs pulseaudio and libasound2-plugins (the ALSA "pulse" device PortAudio opens); it does not install
# them. Works as root (PulseAudio warns that it is not meant to run as root; the warning is harmless).
# Idempotent: loads what is missing when a daemon already answers. Exit 0 when both sinks are ready.
set -eu
if ! command -v pulseaudio >/dev/null 2>&1; then
  echo "start-pulse-null: pulseaudio is not installed (apt-get install -y pulseaudio libasound2-plugins)" >&2
  exit 1
fi
SINK_ARGS="rate=48000 format=s16le channels=2"
SINK4_ARGS="rate=48000 format=s16le channels=4 channel_map=front-left,front-right,rear-left,rear-right"
has_sink() {
  pactl list short sinks 2>/dev/null | grep -q "^[0-9]*[[:space:]]$1[[:space:]]"
}
if ! pulseaudio --check 2>/dev/null; then
  pulseaudio --daemonize=yes --exit-idle-time=-1 -n \
    --load="module-null-sink sink_name=loop $SINK_ARGS" \
    --load="module-null-sink sink_name=loop_in $SINK_ARGS" \
    --load="module-native-protocol-unix" 2>/dev/null
fi
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if pactl info >/dev/null 2>&1; then
    has_sink loop || pactl load-module module-null-sink sink_name=loop $SINK_ARGS >/dev/null
    has_sink loop_in || pactl load-module module-null-sink sink_name=loop_in $SINK_ARGS >/dev/null
    has_sink loop4 || pactl load-module module-null-sink sink_name=loop4 $SINK4_ARGS >/dev/null
    if has_sink loop && has_sink loop_in && has_sink loop4; then
      pactl set-default-sink loop
      pactl set-default-source loop_in.monitor
      pactl set-sink-volume loop 100%
      pactl set-sink-volume loop_in 100%
      pactl set-sink-volume loop4 100%
      exit 0
    fi
  fi
  sleep 0.5
done
echo "start-pulse-null: the daemon did not come up with the sinks loop, loop_in and loop4" >&2
exit 1
