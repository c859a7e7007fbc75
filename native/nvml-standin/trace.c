/*
 * The NVML stand-in's power trace: the scripted square wave plus the scripted load, its exact integral, the energy
 * counter (published on a jittered grid) and NVML's 1-second average. Time t is ms since the first nvmlInit_v2; the
 * board idled at power_low_mw before that.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include "standin.h"

/* Scripted load: each change of the total extra power, with the extra energy accumulated up to it. */
typedef struct { double t_ms, energy_mj, power_mw; } change_t;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static change_t *changes;
static size_t n_changes, cap_changes;
static double *slot_w, *slot_j, *slot_since;
static size_t n_slots;
static double load_mw;

void trace_reset(void) {
    pthread_mutex_lock(&load_lock);
    n_changes = 0;
    load_mw = 0;
    for (size_t i = 0; i < n_slots; i++) slot_w[i] = slot_j[i] = slot_since[i] = 0;
    pthread_mutex_unlock(&load_lock);
}

/* The square wave (mW) at t: high for the first half of each period. */
static double wave_at(double t) {
    if (t < 0) return s.low_mw;
    return fmod(t, s.period_ms) < s.period_ms / 2 ? s.high_mw : s.low_mw;
}

/* The square wave's energy (mJ) from 0 to t; negative before 0. */
static double wave_energy_to(double t) {
    if (t <= 0) return s.low_mw * t / 1000.0;
    double half = s.period_ms / 2, periods = floor(t / s.period_ms), rest = t - periods * s.period_ms;
    double per_period = (s.high_mw + s.low_mw) * half / 1000.0;
    double partial = rest <= half ? s.high_mw * rest / 1000.0 : (s.high_mw * half + s.low_mw * (rest - half)) / 1000.0;
    return periods * per_period + partial;
}

/* Extra energy (mJ) from 0 to t under the scripted load. Caller holds load_lock. */
static double extra_to_locked(double t) {
    if (n_changes == 0 || t <= changes[0].t_ms) return 0;
    size_t lo = 0, hi = n_changes - 1;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (changes[mid].t_ms <= t) lo = mid; else hi = mid - 1;
    }
    return changes[lo].energy_mj + changes[lo].power_mw * (t - changes[lo].t_ms) / 1000.0;
}

/* Device energy (mJ) from 0 to t: the wave plus, on device 0, the scripted load. */
static double energy_to(int device, double t) {
    double e = wave_energy_to(t);
    if (device == 0) {
        pthread_mutex_lock(&load_lock);
        e += extra_to_locked(t);
        pthread_mutex_unlock(&load_lock);
    }
    return e;
}

double power_mw(int device, double t) {
    double load = 0;
    if (device == 0) {
        pthread_mutex_lock(&load_lock);
        load = load_mw;
        pthread_mutex_unlock(&load_lock);
    }
    return wave_at(t) + load;
}

/* The mean power over the second before t: NVML's 1-second average. */
double average_power_mw(int device, double t) {
    return energy_to(device, t) - energy_to(device, t - 1000);
}

/* A uniform number in [-1, 1] fixed by the seed and k (splitmix64), so a run's jitter can be replayed. */
static double uniform(long long k) {
    unsigned long long z = s.jitter_seed + (unsigned long long)k * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* When the counter publishes its k-th value: on the step grid, moved by the scripted jitter. */
static double publication(long long k) { return k * s.step_ms + s.jitter_ms * uniform(k); }

/* The counter (mJ) at t: the exact energy at its latest publication, on top of what the board drew before init; from
 * zero after the scripted reset (a driver reload). */
double counter_mj(int device, double t) {
    long long k = (long long)floor(t / s.step_ms) + 1;
    while (publication(k) > t) k--; /* jitter under half a step: at most two steps back */
    double p = publication(k);
    double e = s.reset_at_ms >= 0 && p >= s.reset_at_ms ? energy_to(device, p) - energy_to(device, s.reset_at_ms)
                                                       : s.start_mj + energy_to(device, p);
    return e > 0 ? e : 0; /* a counter started at 0 does not count the board's idle before init */
}

int ipwStandinSetLoad(unsigned int slot, double watts) {
    if (!standin_initialized() || watts < 0) return -1;
    pthread_mutex_lock(&load_lock);
    double t = since_init_ms();
    if (slot >= n_slots) {
        size_t n = slot + 1 > n_slots * 2 ? slot + 1 : n_slots * 2;
        slot_w = realloc(slot_w, n * sizeof *slot_w);
        slot_j = realloc(slot_j, n * sizeof *slot_j);
        slot_since = realloc(slot_since, n * sizeof *slot_since);
        for (size_t i = n_slots; i < n; i++) slot_w[i] = slot_j[i] = slot_since[i] = 0;
        n_slots = n;
    }
    slot_j[slot] += slot_w[slot] * (t - slot_since[slot]) / 1000.0;
    slot_since[slot] = t;
    double energy = extra_to_locked(t);
    load_mw += (watts - slot_w[slot]) * 1000.0;
    slot_w[slot] = watts;
    if (n_changes == cap_changes) {
        cap_changes = cap_changes ? cap_changes * 2 : 1024;
        changes = realloc(changes, cap_changes * sizeof *changes);
    }
    changes[n_changes++] = (change_t){t, energy, load_mw};
    pthread_mutex_unlock(&load_lock);
    return 0;
}

double ipwStandinSlotEnergy(unsigned int slot) {
    pthread_mutex_lock(&load_lock);
    double j = 0;
    if (slot < n_slots) j = slot_j[slot] + slot_w[slot] * (since_init_ms() - slot_since[slot]) / 1000.0;
    pthread_mutex_unlock(&load_lock);
    return j;
}
