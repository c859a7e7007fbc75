/*
 * NVML stand-in: the functions ipw calls, with NVML's real signatures, struct layouts and return codes,
 * reading a scripted device instead of a GPU. Tests script it through the file named by
 * IPW_NVML_STANDIN_CONFIG (key=value lines):
 *   devices=2                 number of GPUs
 *   name=...                  device name
 *   power_low_mw / power_high_mw / period_ms   square-wave power: high for the first half of each period
 *   energy_step_ms=100        the energy counter advances in steps, as on real boards
 *   reset_at_ms=N             the counter restarts from 0 N ms after nvmlInit (as after a driver reload)
 *   not_supported=a,b         NVML_ERROR_NOT_SUPPORTED from: energy, power, fields, memory, temperature, clocks, utilization
 *   memory_total / memory_used / temperature_c / sm_clock_mhz / util_gpu
 * Time is CLOCK_MONOTONIC since nvmlInit_v2.
 *
 * Scripted load, for ground-truth tests of energy attribution (test control, not part of NVML):
 *   ipwStandinSetLoad(slot, watts)   from now on, slot draws `watts` on top of device 0's trace
 *   ipwStandinSlotEnergy(slot)       joules slot has drawn so far: the exact truth the counter integrates
 * The counter and power readings of device 0 include every slot's load.
 */
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int nvmlReturn_t;
enum {
    NVML_SUCCESS = 0, NVML_ERROR_UNINITIALIZED = 1, NVML_ERROR_INVALID_ARGUMENT = 2, NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_INSUFFICIENT_SIZE = 7, NVML_ERROR_UNKNOWN = 999
};

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef union { double dVal; unsigned int uiVal; unsigned long ulVal; unsigned long long ullVal; signed long long sllVal; } nvmlValue_t;
typedef struct {
    unsigned int fieldId;
    unsigned int scopeId;
    long long timestamp;
    long long latencyUsec;
    int valueType;
    nvmlReturn_t nvmlReturn;
    nvmlValue_t value;
} nvmlFieldValue_t;

#define NVML_FI_DEV_POWER_AVERAGE 185
#define NVML_FI_DEV_POWER_INSTANT 186
#define NVML_VALUE_TYPE_UNSIGNED_INT 1

typedef struct { int index; } device_t;
typedef device_t *nvmlDevice_t;

static struct {
    int initialized, devices;
    char name[96], not_supported[256];
    double low_mw, high_mw, period_ms, step_ms, reset_at_ms;
    unsigned long long memory_total, memory_used;
    unsigned int temperature, sm_clock, util;
    double t0;
} s;
static device_t handles[16];

/* Scripted load: each change of the total extra power, with the extra energy accumulated up to it. */
typedef struct { double t_ms, energy_mj, power_mw; } change_t;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static change_t *changes;
static size_t n_changes, cap_changes;
static double *slot_w, *slot_j, *slot_since;
static size_t n_slots;
static double load_mw;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int unsupported(const char *what) {
    char list[260];
    snprintf(list, sizeof list, ",%s,", s.not_supported);
    char key[64];
    snprintf(key, sizeof key, ",%s,", what);
    return strstr(list, key) != NULL;
}

static void load_config(void) {
    s.devices = 1;
    snprintf(s.name, sizeof s.name, "NVIDIA Stand-in GPU");
    s.not_supported[0] = 0;
    s.low_mw = 100000; s.high_mw = 300000; s.period_ms = 1000; s.step_ms = 100; s.reset_at_ms = -1;
    s.memory_total = 85899345920ULL; s.memory_used = 1073741824ULL;
    s.temperature = 45; s.sm_clock = 1980; s.util = 0;
    const char *path = getenv("IPW_NVML_STANDIN_CONFIG");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        char *key = line, *value = eq + 1;
        value[strcspn(value, "\r\n")] = 0;
        if (!strcmp(key, "devices")) s.devices = atoi(value);
        else if (!strcmp(key, "name")) snprintf(s.name, sizeof s.name, "%s", value);
        else if (!strcmp(key, "power_low_mw")) s.low_mw = atof(value);
        else if (!strcmp(key, "power_high_mw")) s.high_mw = atof(value);
        else if (!strcmp(key, "period_ms")) s.period_ms = atof(value);
        else if (!strcmp(key, "energy_step_ms")) s.step_ms = atof(value);
        else if (!strcmp(key, "reset_at_ms")) s.reset_at_ms = atof(value);
        else if (!strcmp(key, "not_supported")) snprintf(s.not_supported, sizeof s.not_supported, "%s", value);
        else if (!strcmp(key, "memory_total")) s.memory_total = strtoull(value, NULL, 10);
        else if (!strcmp(key, "memory_used")) s.memory_used = strtoull(value, NULL, 10);
        else if (!strcmp(key, "temperature_c")) s.temperature = (unsigned)atoi(value);
        else if (!strcmp(key, "sm_clock_mhz")) s.sm_clock = (unsigned)atoi(value);
        else if (!strcmp(key, "util_gpu")) s.util = (unsigned)atoi(value);
    }
    fclose(f);
    if (s.devices < 0) s.devices = 0;
    if (s.devices > 16) s.devices = 16;
}

/* Instantaneous power (mW) t ms after init: the square wave. */
static double power_at(double t) {
    double phase = fmod(t, s.period_ms);
    return phase < s.period_ms / 2 ? s.high_mw : s.low_mw;
}

/* Energy (mJ) from 0 to t: whole periods, then the partial one. */
static double energy_to(double t) {
    if (t <= 0) return 0;
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

/* Device energy (mJ) from 0 to t: the configured trace plus, on device 0, the scripted load. */
static double device_energy_to(int index, double t) {
    double e = energy_to(t);
    if (index == 0) {
        pthread_mutex_lock(&load_lock);
        e += extra_to_locked(t);
        pthread_mutex_unlock(&load_lock);
    }
    return e;
}

int ipwStandinSetLoad(unsigned int slot, double watts) {
    if (!s.initialized || watts < 0) return -1;
    pthread_mutex_lock(&load_lock);
    double t = now_ms() - s.t0;
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
    if (slot < n_slots) j = slot_j[slot] + slot_w[slot] * (now_ms() - s.t0 - slot_since[slot]) / 1000.0;
    pthread_mutex_unlock(&load_lock);
    return j;
}

nvmlReturn_t nvmlInit_v2(void) {
    load_config();
    pthread_mutex_lock(&load_lock);
    n_changes = 0;
    load_mw = 0;
    for (size_t i = 0; i < n_slots; i++) slot_w[i] = slot_j[i] = slot_since[i] = 0;
    pthread_mutex_unlock(&load_lock);
    for (int i = 0; i < 16; i++) handles[i].index = i;
    s.t0 = now_ms();
    s.initialized = 1;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit(void) { return nvmlInit_v2(); }

nvmlReturn_t nvmlShutdown(void) {
    s.initialized = 0;
    return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    default: return "Unknown Error";
    }
}

#define CHECK_DEVICE(d) \
    if (!s.initialized) return NVML_ERROR_UNINITIALIZED; \
    if (!(d) || (d)->index < 0 || (d)->index >= s.devices) return NVML_ERROR_INVALID_ARGUMENT;

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!s.initialized) return NVML_ERROR_UNINITIALIZED;
    if (!count) return NVML_ERROR_INVALID_ARGUMENT;
    *count = (unsigned)s.devices;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!s.initialized) return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= (unsigned)s.devices) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &handles[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    CHECK_DEVICE(device);
    if (!name) return NVML_ERROR_INVALID_ARGUMENT;
    int n = snprintf(name, length, "%s", s.name);
    return n < 0 || (unsigned)n >= length ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy) {
    CHECK_DEVICE(device);
    if (!energy) return NVML_ERROR_INVALID_ARGUMENT;
    if (unsupported("energy")) return NVML_ERROR_NOT_SUPPORTED;
    double t = now_ms() - s.t0;
    double stepped = floor(t / s.step_ms) * s.step_ms;
    double e = device_energy_to(device->index, stepped);
    if (s.reset_at_ms >= 0 && stepped >= s.reset_at_ms) e -= device_energy_to(device->index, s.reset_at_ms);
    *energy = (unsigned long long)e;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    CHECK_DEVICE(device);
    if (!power) return NVML_ERROR_INVALID_ARGUMENT;
    if (unsupported("power")) return NVML_ERROR_NOT_SUPPORTED;
    /* A one-second moving average, as Ampere and later boards report. */
    double t = now_ms() - s.t0, from = t > 1000 ? t - 1000 : 0;
    *power = (unsigned)(t > from ? (device_energy_to(device->index, t) - device_energy_to(device->index, from)) * 1000.0 / (t - from) : power_at(t));
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount, nvmlFieldValue_t *values) {
    CHECK_DEVICE(device);
    if (!values || valuesCount < 0) return NVML_ERROR_INVALID_ARGUMENT;
    double t = now_ms() - s.t0;
    for (int i = 0; i < valuesCount; i++) {
        values[i].timestamp = (long long)(now_ms() * 1000.0);
        values[i].latencyUsec = 0;
        values[i].valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
        if (unsupported("fields")) { values[i].nvmlReturn = NVML_ERROR_NOT_SUPPORTED; continue; }
        if (values[i].fieldId == NVML_FI_DEV_POWER_INSTANT) {
            double load = 0;
            if (device->index == 0) { pthread_mutex_lock(&load_lock); load = load_mw; pthread_mutex_unlock(&load_lock); }
            values[i].value.uiVal = (unsigned)(power_at(t) + load);
            values[i].nvmlReturn = NVML_SUCCESS;
        } else if (values[i].fieldId == NVML_FI_DEV_POWER_AVERAGE) {
            double from = t > 1000 ? t - 1000 : 0;
            values[i].value.uiVal = (unsigned)(t > from ? (device_energy_to(device->index, t) - device_energy_to(device->index, from)) * 1000.0 / (t - from) : power_at(t));
            values[i].nvmlReturn = NVML_SUCCESS;
        } else {
            values[i].nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        }
    }
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    CHECK_DEVICE(device);
    if (!memory) return NVML_ERROR_INVALID_ARGUMENT;
    if (unsupported("memory")) return NVML_ERROR_NOT_SUPPORTED;
    memory->total = s.memory_total;
    memory->used = s.memory_used;
    memory->free = s.memory_total - s.memory_used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensorType, unsigned int *temp) {
    CHECK_DEVICE(device);
    if (!temp || sensorType != 0) return NVML_ERROR_INVALID_ARGUMENT;
    if (unsupported("temperature")) return NVML_ERROR_NOT_SUPPORTED;
    *temp = s.temperature;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *clock) {
    CHECK_DEVICE(device);
    if (!clock) return NVML_ERROR_INVALID_ARGUMENT;
    if (unsupported("clocks")) return NVML_ERROR_NOT_SUPPORTED;
    *clock = type == 1 ? s.sm_clock : s.sm_clock / 2;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
    CHECK_DEVICE(device);
    if (!utilization) return NVML_ERROR_INVALID_ARGUMENT;
    if (unsupported("utilization")) return NVML_ERROR_NOT_SUPPORTED;
    utilization->gpu = s.util;
    utilization->memory = s.util / 2;
    return NVML_SUCCESS;
}
