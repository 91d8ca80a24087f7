/* LD_PRELOAD guard for SooperLooper on a machine with no ALSA sequencer (/dev/snd/seq missing: no
 * sound card, a container, CI). SooperLooper's MIDI bridge keeps using its sequencer handle after
 * snd_seq_open failed, so alsa-lib is handed NULL: an assertion aborts it at start, and the MIDI clock
 * output crashes. These wrappers answer a NULL handle with an error (or nothing) and pass every real
 * handle to alsa-lib. Built and used by bench/sooperlooper.ts; MIDI then does nothing, audio and OSC
 * run as usual.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int snd_seq_poll_descriptors(void *seq, struct pollfd *fds, unsigned int space, short events) {
  return seq ? NEXT(snd_seq_poll_descriptors)(seq, fds, space, events) : -ENODEV;
}
int snd_seq_poll_descriptors_count(void *seq, short events) {
  return seq ? NEXT(snd_seq_poll_descriptors_count)(seq, events) : 0;
}
int snd_seq_event_output(void *seq, void *ev) { return seq ? NEXT(snd_seq_event_output)(seq, ev) : -ENODEV; }
int snd_seq_drain_output(void *seq) { return seq ? NEXT(snd_seq_drain_output)(seq) : -ENODEV; }
int snd_seq_event_input(void *seq, void **ev) { return seq ? NEXT(snd_seq_event_input)(seq, ev) : -ENODEV; }
void snd_midi_event_reset_encode(void *dev) {
  if (dev) NEXT(snd_midi_event_reset_encode)(dev);
}
void snd_midi_event_reset_decode(void *dev) {
  if (dev) NEXT(snd_midi_event_reset_decode)(dev);
}
long snd_midi_event_encode(void *dev, const unsigned char *buf, long count, void *ev) {
  return dev ? NEXT(snd_midi_event_encode)(dev, buf, count, ev) : -ENODEV;
}
long snd_midi_event_decode(void *dev, unsigned char *buf, long count, const void *ev) {
  return dev ? NEXT(snd_midi_event_decode)(dev, buf, count, ev) : -ENODEV;
}
