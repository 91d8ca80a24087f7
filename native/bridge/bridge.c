// The engine host's audio bridge: one full-duplex PortAudio stream (float32, interleaved) driven by a
// callback that only moves frames between the device and two single-producer/single-consumer rings in
// a SharedArrayBuffer, then wakes the engine's thread. Nothing in the callback allocates, locks, prints
// or waits on the engine: a late engine costs silence and a counted xrun, never a blocked device.
//
// The engine's thread (a worker thread of the host process, lib/io/bridge-driver.ts) blocks in wait()
// on a POSIX semaphore the callback posts, renders every whole block the input ring holds, and writes
// its output ring. The memory layout of the header is mirrored in lib/io/ring.ts (HEADER_*).
//
// Built against the system's PortAudio (pkg-config portaudio-2.0), so Debian's JACK host API is there
// too: the host can join a JACK graph beside effects and synths.

#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <portaudio.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Header slots (int32), shared with lib/io/ring.ts. Positions are frame counters that wrap at 2^32;
// ring capacities are powers of two, so (position & (capacity - 1)) is the slot at every wrap.
enum {
  H_IN_WRITE,         // callback: input frames written
  H_IN_READ,          // engine: input frames taken
  H_OUT_WRITE,        // engine: output frames written
  H_OUT_READ,         // callback: output frames played from the ring
  H_OUT_DEBT,         // callback adds the frames it played as silence; the engine skips as many
  H_IN_DROPPED,       // callback adds input frames it could not store; the engine renders silence for them
  H_XRUN_INPUT_OVERFLOW,   // PortAudio status: the device's input overflowed
  H_XRUN_OUTPUT_UNDERFLOW, // PortAudio status: the device's output underflowed
  H_XRUN_ENGINE_LATE,      // callbacks that found the output ring short (the engine was late)
  H_XRUN_RING_FULL,        // callbacks that found the input ring full (the engine stalled)
  H_CALLBACKS,
  H_UNPACED,          // 1 once the device proved to take frames faster than real time: the callback paces itself
  H_STATUS_FLAGS,     // the last callback's PortAudio status flags (for tests and diagnostics)
  H_SLOTS
};

#define PACE_AHEAD_LIMIT_NS 250000000LL  // a device this far ahead of the wall clock is not a clock

/** One stream's frames against the wall clock (touched by that stream's callback thread only). */
typedef struct Pacer {
  int64_t first_ns;
  uint64_t frames_seen;
} Pacer;

typedef struct Bridge {
  PaStream *stream;           // NULL for a virtual bridge (tests drive tick() instead of a device)
  sem_t wake;
  _Atomic int32_t *h;         // header slots in the SharedArrayBuffer
  float *in_ring;
  float *out_ring;
  uint32_t in_cap, out_cap;   // frames, powers of two
  int in_ch, out_ch;
  double sample_rate;
  napi_ref refs[3];           // keep the header and ring arrays alive while the callback may use them
  // pacing, per callback thread: split, the input's and the output's streams each run on their own
  Pacer pace_in;
  Pacer pace_out;
  int closed;
  int named;                  // the callback thread was given its name
  int named_out;
  PaStream *out_stream;       // the output's own stream when the directions are split, else NULL
} Bridge;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int32_t load(Bridge *b, int slot) { return atomic_load_explicit(&b->h[slot], memory_order_acquire); }
static inline void store(Bridge *b, int slot, int32_t v) { atomic_store_explicit(&b->h[slot], v, memory_order_release); }
static inline void add(Bridge *b, int slot, int32_t v) { atomic_fetch_add_explicit(&b->h[slot], v, memory_order_acq_rel); }

/** Copies `frames` interleaved frames between a linear buffer and a ring at `pos`, wrapping once. */
static void ring_copy(float *ring, uint32_t cap, int ch, uint32_t pos, float *linear, uint32_t frames, int to_ring) {
  uint32_t at = pos & (cap - 1);
  uint32_t first = frames < cap - at ? frames : cap - at;
  if (to_ring) {
    memcpy(ring + (size_t)at * ch, linear, (size_t)first * ch * sizeof(float));
    memcpy(ring, linear + (size_t)first * ch, (size_t)(frames - first) * ch * sizeof(float));
  } else {
    memcpy(linear, ring + (size_t)at * ch, (size_t)first * ch * sizeof(float));
    memcpy(linear + (size_t)first * ch, ring, (size_t)(frames - first) * ch * sizeof(float));
  }
}

/** Device input -> the input ring (a full ring drops the callback's frames whole, and owes them). */
static void take_input(Bridge *b, const float *in, uint32_t n, unsigned long flags) {
  if (flags & paInputOverflow) add(b, H_XRUN_INPUT_OVERFLOW, 1);
  uint32_t in_w = (uint32_t)load(b, H_IN_WRITE);
  uint32_t in_r = (uint32_t)load(b, H_IN_READ);
  if (b->in_cap - (in_w - in_r) >= n) {
    if (in) ring_copy(b->in_ring, b->in_cap, b->in_ch, in_w, (float *)in, n, 1);
    else {
      // no input buffer (PortAudio gives none on an input underflow): silence keeps the timeline
      uint32_t at = in_w & (b->in_cap - 1), first = n < b->in_cap - at ? n : b->in_cap - at;
      memset(b->in_ring + (size_t)at * b->in_ch, 0, (size_t)first * b->in_ch * sizeof(float));
      memset(b->in_ring, 0, (size_t)(n - first) * b->in_ch * sizeof(float));
    }
    store(b, H_IN_WRITE, (int32_t)(in_w + n));
  } else {
    add(b, H_IN_DROPPED, (int32_t)n);
    add(b, H_XRUN_RING_FULL, 1);
  }
}

static void give_output(Bridge *b, float *out, uint32_t n, unsigned long flags) {
  if (flags & paOutputUnderflow) add(b, H_XRUN_OUTPUT_UNDERFLOW, 1);
  uint32_t out_w = (uint32_t)load(b, H_OUT_WRITE);
  uint32_t out_r = (uint32_t)load(b, H_OUT_READ);
  uint32_t avail = out_w - out_r;
  uint32_t take = avail < n ? avail : n;
  if (take > 0) ring_copy(b->out_ring, b->out_cap, b->out_ch, out_r, out, take, 0);
  if (take < n) {
    // the engine is late: fade what there is (no step into the silence), then silence, and remember
    // how much was skipped so the engine drops as much and the latency stays what it was
    uint32_t fade = take < 64 ? take : 64;
    for (uint32_t i = 0; i < fade; i++) {
      float g = (float)(fade - i) / (float)(fade + 1);
      for (int c = 0; c < b->out_ch; c++) out[(size_t)(take - fade + i) * b->out_ch + c] *= g;
    }
    memset(out + (size_t)take * b->out_ch, 0, (size_t)(n - take) * b->out_ch * sizeof(float));
    add(b, H_OUT_DEBT, (int32_t)(n - take));
    add(b, H_XRUN_ENGINE_LATE, 1);
  }
  store(b, H_OUT_READ, (int32_t)(out_r + take));
}

/** The input's arrival is the engine's cue: count the callback and wake the engine. */
static void wake_engine(Bridge *b, unsigned long flags) {
  store(b, H_STATUS_FLAGS, (int32_t)flags);
  add(b, H_CALLBACKS, 1);
  sem_post(&b->wake);
}

/** The callback's whole job, also run by tick() for tests: device input -> ring, ring -> device output. */
static void move_frames(Bridge *b, const float *in, float *out, uint32_t n, unsigned long flags) {
  take_input(b, in, n, flags);
  give_output(b, out, n, flags);
  wake_engine(b, flags);
}

/**
 * A device that takes frames faster than real time (ALSA's null PCM) would run the engine free: a
 * 2-minute loop recorded in seconds, a core burned. Once the device is clearly ahead of the wall clock,
 * the callback sleeps until the wall clock catches up, as a paced card would make it wait.
 * pace_until decides, on the wall-clock time `now` (ns) it is given: the time the callback must wait
 * for, `now` itself when it need not wait. tick() runs it on a test's clock.
 */
static int64_t pace_until(Bridge *b, Pacer *p, uint32_t n, int64_t now) {
  if (p->frames_seen == 0) p->first_ns = now;
  p->frames_seen += n;
  int64_t device_ns = (int64_t)((double)p->frames_seen * 1e9 / b->sample_rate);
  int64_t ahead = device_ns - (now - p->first_ns);
  if (!load(b, H_UNPACED)) {
    if (ahead < PACE_AHEAD_LIMIT_NS) return now;
    store(b, H_UNPACED, 1);
  }
  if (ahead <= 0) return now;
  return p->first_ns + device_ns;
}

static void pace(Bridge *b, Pacer *p, uint32_t n) {
  int64_t now = now_ns();
  int64_t until = pace_until(b, p, n, now);
  if (until <= now) return;
  struct timespec ts = {(time_t)(until / 1000000000LL), (long)(until % 1000000000LL)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static void name_thread(int *named, const char *name) {
  if (*named) return;
  // once: the thread shows by this name in top -H and /proc (PortAudio's or JACK's thread, named here)
  pthread_setname_np(pthread_self(), name);
  *named = 1;
}

static int on_device(const void *in, void *out, unsigned long n, const PaStreamCallbackTimeInfo *time,
                     PaStreamCallbackFlags flags, void *user) {
  (void)time;
  Bridge *b = (Bridge *)user;
  name_thread(&b->named, "ls-audio");
  move_frames(b, (const float *)in, (float *)out, (uint32_t)n, flags);
  pace(b, &b->pace_in, (uint32_t)n);
  return paContinue;
}

// Two streams, one per direction (see `split` in open): the input's callback wakes the engine.
static int on_input(const void *in, void *out, unsigned long n, const PaStreamCallbackTimeInfo *time,
                    PaStreamCallbackFlags flags, void *user) {
  (void)out;
  (void)time;
  Bridge *b = (Bridge *)user;
  name_thread(&b->named, "ls-audio-in");
  take_input(b, (const float *)in, (uint32_t)n, flags);
  wake_engine(b, flags);
  pace(b, &b->pace_in, (uint32_t)n);
  return paContinue;
}

static int on_output(const void *in, void *out, unsigned long n, const PaStreamCallbackTimeInfo *time,
                     PaStreamCallbackFlags flags, void *user) {
  (void)in;
  (void)time;
  Bridge *b = (Bridge *)user;
  name_thread(&b->named_out, "ls-audio-out");
  if (load(b, H_CALLBACKS) == 0) {
    // the input has not started: silence, and the headroom stays queued (spent now, it would be owed
    // for good, one block per block, since the engine renders only what the input brings)
    memset(out, 0, (size_t)n * b->out_ch * sizeof(float));
  } else {
    give_output(b, (float *)out, (uint32_t)n, flags);
  }
  // a clock-less output device would otherwise take the ring as fast as it can, and owe the engine
  // ever more frames (OUT_DEBT) that it then drops: every block an xrun, nothing heard
  pace(b, &b->pace_out, (uint32_t)n);
  return paContinue;
}

// ------------------------------------------------------------------ N-API glue (not real-time)

#define CHECK(env, call)                                              \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      const napi_extended_error_info *info;                           \
      napi_get_last_error_info((env), &info);                         \
      napi_throw_error((env), NULL, info && info->error_message ? info->error_message : #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_pa(napi_env env, const char *what, PaError err) {
  char text[256];
  const char *detail = Pa_GetErrorText(err);
  if (err == paUnanticipatedHostError) {
    const PaHostErrorInfo *host = Pa_GetLastHostErrorInfo();
    if (host && host->errorText) detail = host->errorText;
  }
  snprintf(text, sizeof text, "%s: %s", what, detail);
  napi_throw_error(env, "PORTAUDIO", text);
  return NULL;
}

static int open_streams = 0;
static int initialised = 0;

static PaError ensure_initialised(void) {
  if (initialised) return paNoError;
  PaError err = Pa_Initialize();
  if (err == paNoError) initialised = 1;
  return err;
}

static napi_value set_prop(napi_env env, napi_value obj, const char *key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
  return obj;
}
static void set_num(napi_env env, napi_value obj, const char *key, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  set_prop(env, obj, key, v);
}
static void set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &v);
  set_prop(env, obj, key, v);
}
static void set_bool(napi_env env, napi_value obj, const char *key, int b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  set_prop(env, obj, key, v);
}

/** devices(): every device of every host API, re-probed when no stream is open (a USB interface plugged in meanwhile). */
static napi_value devices(napi_env env, napi_callback_info info) {
  (void)info;
  if (initialised && open_streams == 0) {
    Pa_Terminate();
    initialised = 0;
  }
  PaError err = ensure_initialised();
  if (err != paNoError) return throw_pa(env, "Pa_Initialize", err);
  int count = Pa_GetDeviceCount();
  if (count < 0) return throw_pa(env, "Pa_GetDeviceCount", count);
  napi_value list;
  CHECK(env, napi_create_array_with_length(env, (size_t)count, &list));
  for (int i = 0; i < count; i++) {
    const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
    const PaHostApiInfo *api = d ? Pa_GetHostApiInfo(d->hostApi) : NULL;
    if (!d || !api) continue;
    napi_value o;
    CHECK(env, napi_create_object(env, &o));
    set_num(env, o, "id", i);
    set_str(env, o, "name", d->name);
    set_str(env, o, "hostAPI", api->name);
    set_num(env, o, "hostAPIType", api->type);
    set_num(env, o, "maxInputChannels", d->maxInputChannels);
    set_num(env, o, "maxOutputChannels", d->maxOutputChannels);
    set_num(env, o, "defaultSampleRate", d->defaultSampleRate);
    set_num(env, o, "defaultLowInputLatency", d->defaultLowInputLatency);
    set_num(env, o, "defaultLowOutputLatency", d->defaultLowOutputLatency);
    set_num(env, o, "defaultHighInputLatency", d->defaultHighInputLatency);
    set_num(env, o, "defaultHighOutputLatency", d->defaultHighOutputLatency);
    set_bool(env, o, "isDefaultInput", i == api->defaultInputDevice);
    set_bool(env, o, "isDefaultOutput", i == api->defaultOutputDevice);
    set_bool(env, o, "isDefaultHostAPI", d->hostApi == Pa_GetDefaultHostApi());
    napi_set_element(env, list, (uint32_t)i, o);
  }
  return list;
}

static int get_int(napi_env env, napi_value obj, const char *key, int32_t *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}
static int get_double(napi_env env, napi_value obj, const char *key, double *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return 0;
  return napi_get_value_double(env, v, out) == napi_ok;
}

/** The typed array of `obj[key]` (a view of the SharedArrayBuffer): its memory and length in elements. */
static int get_array(napi_env env, napi_value obj, const char *key, napi_typedarray_type want, void **data, size_t *length, napi_value *value) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_named_property(env, obj, key, value) != napi_ok) return 0;
  if (napi_get_typedarray_info(env, *value, &type, length, data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

/** Stops the callbacks (after their current run) and closes the streams; idempotent. */
static void close_streams(Bridge *b) {
  PaStream *streams[2] = {b->stream, b->out_stream};
  for (int i = 0; i < 2; i++) {
    if (!streams[i]) continue;
    Pa_AbortStream(streams[i]);
    Pa_CloseStream(streams[i]);
    open_streams--;
  }
  b->stream = b->out_stream = NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  Bridge *b = (Bridge *)data;
  close_streams(b);
  for (int i = 0; i < 3; i++)
    if (b->refs[i]) napi_delete_reference(env, b->refs[i]);
  sem_destroy(&b->wake);
  free(b);
}

static int is_pow2(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

/**
 * open({header, inRing, outRing, inChannels, outChannels, sampleRate, framesPerBuffer,
 *       inputDevice, outputDevice, virtual}) -> bridge handle with {inputLatency, outputLatency, sampleRate}.
 * virtual: no device; tick() plays the callback's part (tests of the rings and the wake).
 */
static napi_value open_bridge(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts;
  CHECK(env, napi_get_cb_info(env, info, &argc, &opts, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "open(options) needs an options object");
    return NULL;
  }
  Bridge *b = calloc(1, sizeof(Bridge));
  if (!b) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  void *hdr, *inr, *outr;
  size_t hdr_len, in_len, out_len;
  napi_value hv, iv, ov;
  int32_t in_ch = 0, out_ch = 0, frames = 0, in_dev = -1, out_dev = -1, virt = 0;
  double rate = 0;
  if (!get_array(env, opts, "header", napi_int32_array, &hdr, &hdr_len, &hv) || hdr_len < H_SLOTS ||
      !get_array(env, opts, "inRing", napi_float32_array, &inr, &in_len, &iv) ||
      !get_array(env, opts, "outRing", napi_float32_array, &outr, &out_len, &ov) ||
      !get_int(env, opts, "inChannels", &in_ch) || !get_int(env, opts, "outChannels", &out_ch) || in_ch < 1 || out_ch < 1 ||
      !get_double(env, opts, "sampleRate", &rate) || rate <= 0 || !get_int(env, opts, "framesPerBuffer", &frames) || frames < 1) {
    free(b);
    napi_throw_type_error(env, NULL, "open: header (Int32Array), inRing/outRing (Float32Array), inChannels, outChannels, sampleRate and framesPerBuffer are required");
    return NULL;
  }
  get_int(env, opts, "inputDevice", &in_dev);
  get_int(env, opts, "outputDevice", &out_dev);
  get_int(env, opts, "virtual", &virt);
  b->h = (_Atomic int32_t *)hdr;
  b->in_ring = inr;
  b->out_ring = outr;
  b->in_ch = in_ch;
  b->out_ch = out_ch;
  b->in_cap = (uint32_t)(in_len / (size_t)in_ch);
  b->out_cap = (uint32_t)(out_len / (size_t)out_ch);
  b->sample_rate = rate;
  if (!is_pow2(b->in_cap) || !is_pow2(b->out_cap) || b->in_cap < (uint32_t)frames || b->out_cap < (uint32_t)frames) {
    free(b);
    napi_throw_range_error(env, NULL, "open: each ring must hold a power-of-two number of frames, at least framesPerBuffer");
    return NULL;
  }
  if (sem_init(&b->wake, 0, 0) != 0) {
    free(b);
    napi_throw_error(env, NULL, "open: sem_init failed");
    return NULL;
  }
  napi_create_reference(env, hv, 1, &b->refs[0]);
  napi_create_reference(env, iv, 1, &b->refs[1]);
  napi_create_reference(env, ov, 1, &b->refs[2]);

  napi_value handle;
  if (napi_create_object(env, &handle) != napi_ok || napi_wrap(env, handle, b, finalize, NULL, NULL) != napi_ok) {
    finalize(env, b, NULL);
    napi_throw_error(env, NULL, "open: could not wrap the bridge");
    return NULL;
  }
  if (virt) {
    set_num(env, handle, "inputLatency", 0);
    set_num(env, handle, "outputLatency", 0);
    set_num(env, handle, "sampleRate", rate);
    return handle;
  }
  // the thread that opens the stream is the one that waits for it: the engine's
  pthread_setname_np(pthread_self(), "ls-engine");
  PaError err = ensure_initialised();
  if (err != paNoError) return throw_pa(env, "Pa_Initialize", err);
  int count = Pa_GetDeviceCount();
  if (in_dev < 0 || in_dev >= count || out_dev < 0 || out_dev >= count) {
    napi_throw_range_error(env, NULL, "open: inputDevice and outputDevice must be device ids from devices()");
    return NULL;
  }
  // the device's own buffer: its low latency unless the caller asks for more (a sound server's plugin)
  double in_lat = Pa_GetDeviceInfo(in_dev)->defaultLowInputLatency, out_lat = Pa_GetDeviceInfo(out_dev)->defaultLowOutputLatency;
  get_double(env, opts, "inputLatency", &in_lat);
  get_double(env, opts, "outputLatency", &out_lat);
  PaStreamParameters ip = {in_dev, in_ch, paFloat32, in_lat, NULL};
  PaStreamParameters op = {out_dev, out_ch, paFloat32, out_lat, NULL};
  int32_t split = 0;
  get_int(env, opts, "split", &split);
  const unsigned long flags = paClipOff | paDitherOff;
  if (split) {
    err = Pa_OpenStream(&b->stream, &ip, NULL, rate, (unsigned long)frames, flags, on_input, b);
    if (err == paNoError) {
      open_streams++;
      err = Pa_OpenStream(&b->out_stream, NULL, &op, rate, (unsigned long)frames, flags, on_output, b);
      if (err == paNoError) open_streams++;
      else b->out_stream = NULL;
    } else b->stream = NULL;
  } else {
    err = Pa_OpenStream(&b->stream, &ip, &op, rate, (unsigned long)frames, flags, on_device, b);
    if (err == paNoError) open_streams++;
    else b->stream = NULL;
  }
  if (err != paNoError) {
    close_streams(b);
    return throw_pa(env, "Pa_OpenStream", err);
  }
  const PaStreamInfo *si = Pa_GetStreamInfo(b->stream);
  const PaStreamInfo *so = b->out_stream ? Pa_GetStreamInfo(b->out_stream) : si;
  set_num(env, handle, "inputLatency", si ? si->inputLatency : 0);
  set_num(env, handle, "outputLatency", so ? so->outputLatency : 0);
  set_num(env, handle, "sampleRate", si ? si->sampleRate : rate);
  return handle;
}

static Bridge *unwrap(napi_env env, napi_callback_info info, napi_value *args, size_t want) {
  size_t argc = want;
  napi_value self;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return NULL;
  }
  (void)self;
  Bridge *b = NULL;
  if (napi_unwrap(env, args[0], (void **)&b) != napi_ok || !b) {
    napi_throw_type_error(env, NULL, "not a bridge handle");
    return NULL;
  }
  return b;
}

static napi_value start(napi_env env, napi_callback_info info) {
  napi_value args[1];
  Bridge *b = unwrap(env, info, args, 1);
  if (!b) return NULL;
  // the output first, so its queued headroom is playing when the first input wakes the engine
  PaStream *order[2] = {b->out_stream, b->stream};
  for (int i = 0; i < 2; i++) {
    if (!order[i]) continue;
    PaError err = Pa_StartStream(order[i]);
    if (err != paNoError) return throw_pa(env, "Pa_StartStream", err);
  }
  return NULL;
}

/** close(handle): stops the callback (after its current run) and closes the stream; idempotent. */
static napi_value close_bridge(napi_env env, napi_callback_info info) {
  napi_value args[1];
  Bridge *b = unwrap(env, info, args, 1);
  if (!b) return NULL;
  close_streams(b);
  b->closed = 1;
  sem_post(&b->wake);  // a wait() in progress returns
  return NULL;
}

/** active(handle): false once the stream stopped by itself (a device that went away). */
static napi_value active(napi_env env, napi_callback_info info) {
  napi_value args[1], result;
  Bridge *b = unwrap(env, info, args, 1);
  if (!b) return NULL;
  int on = b->stream ? Pa_IsStreamActive(b->stream) == 1 && (!b->out_stream || Pa_IsStreamActive(b->out_stream) == 1) : !b->closed;
  napi_get_boolean(env, on, &result);
  return result;
}

/**
 * wait(handle, timeoutMs) -> true when a callback ran since the last wait, false on timeout. Blocks the
 * calling thread (the engine's worker): that is the point, it has nothing else to do until then.
 */
static napi_value wait_wake(napi_env env, napi_callback_info info) {
  napi_value args[2], result;
  Bridge *b = unwrap(env, info, args, 2);
  if (!b) return NULL;
  double ms = 0;
  napi_get_value_double(env, args[1], &ms);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t until = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + (int64_t)(ms * 1e6);
  ts.tv_sec = (time_t)(until / 1000000000LL);
  ts.tv_nsec = (long)(until % 1000000000LL);
  int r;
  while ((r = sem_clockwait(&b->wake, CLOCK_MONOTONIC, &ts)) != 0 && errno == EINTR) {
  }
  napi_get_boolean(env, r == 0 && !b->closed, &result);
  return result;
}

/**
 * tick(handle, input Float32Array, output Float32Array, flags, paceAt): one callback of a virtual bridge.
 * paceAt: false, or the wall-clock time (µs, on the caller's clock) at which this callback runs: it is
 * then paced as a device callback is, on that clock, and instead of sleeping returns the time (µs) it
 * would sleep until (paceAt itself when it would not sleep). Without pacing it returns undefined.
 */
static napi_value tick(napi_env env, napi_callback_info info) {
  napi_value args[5];
  Bridge *b = unwrap(env, info, args, 5);
  if (!b) return NULL;
  if (b->stream) {
    napi_throw_error(env, NULL, "tick is for a virtual bridge: a device drives this one");
    return NULL;
  }
  napi_typedarray_type t1, t2;
  size_t n1, n2, off;
  void *in, *out;
  napi_value ab;
  uint32_t flags = 0;
  CHECK(env, napi_get_typedarray_info(env, args[1], &t1, &n1, &in, &ab, &off));
  CHECK(env, napi_get_typedarray_info(env, args[2], &t2, &n2, &out, &ab, &off));
  napi_get_value_uint32(env, args[3], &flags);
  if (t1 != napi_float32_array || t2 != napi_float32_array || n1 % (size_t)b->in_ch || n1 / (size_t)b->in_ch != n2 / (size_t)b->out_ch) {
    napi_throw_type_error(env, NULL, "tick: input and output must be Float32Arrays of the same frame count");
    return NULL;
  }
  napi_valuetype pace_type;
  CHECK(env, napi_typeof(env, args[4], &pace_type));
  move_frames(b, (const float *)in, (float *)out, (uint32_t)(n1 / (size_t)b->in_ch), flags);
  if (pace_type != napi_number) return NULL;
  double at_us = 0;
  napi_get_value_double(env, args[4], &at_us);
  int64_t until = pace_until(b, &b->pace_in, (uint32_t)(n1 / (size_t)b->in_ch), (int64_t)(at_us * 1000.0));
  napi_value result;
  CHECK(env, napi_create_double(env, (double)until / 1000.0, &result));
  return result;
}

// pa_jack.h, declared weak: a PortAudio built without JACK lacks it, and the bridge still loads
extern PaError PaJack_SetClientName(const char *name) __attribute__((weak));

static napi_value init(napi_env env, napi_value exports) {
  // libjack would try to start a JACK server (seconds, and a stray jackd) when PortAudio probes its
  // JACK host API and none runs; the looper only joins a server that is already there
  setenv("JACK_NO_START_SERVER", "1", 0);
  // the name the looper's ports have in the JACK graph (loopstation:in_0, ...), instead of "PortAudio"
  if (PaJack_SetClientName) PaJack_SetClientName("loopstation");
  napi_property_descriptor props[] = {
      {"devices", NULL, devices, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, open_bridge, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_bridge, NULL, NULL, NULL, napi_default, NULL},
      {"active", NULL, active, NULL, NULL, NULL, napi_default, NULL},
      {"wait", NULL, wait_wake, NULL, NULL, NULL, napi_default, NULL},
      {"tick", NULL, tick, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value slots, ver;
  napi_create_int32(env, H_SLOTS, &slots);
  napi_set_named_property(env, exports, "headerSlots", slots);
  napi_create_string_utf8(env, Pa_GetVersionText(), NAPI_AUTO_LENGTH, &ver);
  napi_set_named_property(env, exports, "portaudioVersion", ver);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
