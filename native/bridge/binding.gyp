# The engine host's callback bridge (bridge.c): plain C and N-API, linked against the system's
# PortAudio (Debian/Raspberry Pi OS: libportaudio2 + portaudio19-dev, found with pkg-config), whose
# build has the ALSA and JACK host APIs.
{
  "targets": [
    {
      "target_name": "loopstation_bridge",
      "sources": ["bridge.c"],
      "include_dirs": ["<!@(pkg-config --cflags-only-I portaudio-2.0 | sed -e 's/-I//g')"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["<!@(pkg-config --libs portaudio-2.0)", "-lpthread"]
    }
  ]
}
