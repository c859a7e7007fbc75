/*
 * NVML stand-in: the functions ipw calls, with NVML's real signatures, struct layouts, return codes and
 * initialisation rules, reading a scripted device instead of a GPU. Tests script it through the file named by
 * IPW_NVML_STANDIN_CONFIG (key=value lines, read when the first nvmlInit_v2 of a process, or the first after the
 * last nvmlShutdown, succeeds):
 *   devices=2                 number of GPUs
 *   name=...                  device name
 *   architecture=hopper       pascal, volta, turing, ga100, ampere, ada, hopper (default), blackwell or unknown:
 *                             what nvmlDeviceGetArchitecture and nvmlDeviceGetCudaComputeCapability answer, and so
 *                             whether nvmlDeviceGetPowerUsage is NVML's 1-second average (ampere but not ga100, and
 *                             newer) or instantaneous (ga100 and older); field 186 is instantaneous everywhere and
 *                             field 185 the average where GetPowerUsage is one
 *   power_low_mw / power_high_mw / period_ms   square-wave power: high for the first half of each period
 *   energy_step_ms=100        the energy counter publishes in steps, as on real boards
 *   energy_jitter_ms=0        each publication moved off the step grid by a seeded uniform +-jitter (at most just
 *                             under half a step); the value published is the exact energy at that moment
 *   energy_jitter_seed=1
 *   energy_start_mj=25e9      the counter at nvmlInit: it counts since the driver loaded, not since the process began
 *   reset_at_ms=N             the counter restarts from 0 N ms after nvmlInit (as after a driver reload)
 *   memory_total / memory_used / memory_reserved   bytes; v2's used is memory_used, v1's includes the reserved memory
 *   temperature_c / sm_clock_mhz / util_gpu
 *   field_value_type=uint     how field values are typed (nvmlValueType_t): double, uint, ulong, ullong, sll, sint,
 *                             ushort
 *   fail.<function>[.gpu<N>]=<code>[@<after_ms>]
 *                             the function returns nvmlReturn_t <code> (a number, as in nvml.h), on every GPU or on
 *                             GPU N, from after_ms after nvmlInit on (from the start without @). Functions: init,
 *                             count, handle, name, energy, power (GetPowerUsage), fields (the whole GetFieldValues
 *                             call), power_instant and power_average (fields 186 and 185 alone), memory (v1),
 *                             memory_v2, temperature, clocks, utilization, architecture, compute_capability, and
 *                             device: every call on a GPU (one lost mid-run: fail.device.gpu1=15@800).
 *                             E.g. fail.init=9 (driver not loaded), fail.energy=4 (no permission).
 *   not_supported=a,b         shorthand for fail.a=3 and fail.b=3 (NVML_ERROR_NOT_SUPPORTED)
 * Time is CLOCK_MONOTONIC since that first nvmlInit_v2.
 *
 * Initialisation is reference counted, as NVML documents: each nvmlInit_v2 needs its nvmlShutdown, and calls after
 * the last shutdown return NVML_ERROR_UNINITIALIZED.
 *
 * Scripted load, for ground-truth tests of energy attribution (test control, not part of NVML):
 *   ipwStandinSetLoad(slot, watts)   from now on, slot draws `watts` on top of device 0's trace
 *   ipwStandinSlotEnergy(slot)       joules slot has drawn so far: the exact truth the counter integrates
 * The counter and power readings of device 0 include every slot's load.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "standin.h"

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } nvmlMemory_v2_t;
#define nvmlMemory_v2 ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef union {
    double dVal; int siVal; unsigned int uiVal; unsigned long ulVal; unsigned long long ullVal; signed long long sllVal;
    unsigned short usVal;
} nvmlValue_t;
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

typedef struct { int index; } device_t;
typedef device_t *nvmlDevice_t;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int refs;
static device_t handles[16];

int standin_initialized(void) { return __atomic_load_n(&refs, __ATOMIC_ACQUIRE) > 0; }

nvmlReturn_t nvmlInit_v2(void) {
    pthread_mutex_lock(&init_lock);
    nvmlReturn_t rc = NVML_SUCCESS;
    if (refs == 0) {
        script_load();
        script_started();
        rc = scripted("init", -1);
        if (rc == NVML_SUCCESS) {
            trace_reset();
            for (int i = 0; i < 16; i++) handles[i].index = i;
        }
    }
    if (rc == NVML_SUCCESS) __atomic_add_fetch(&refs, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&init_lock);
    return rc;
}

nvmlReturn_t nvmlInit(void) { return nvmlInit_v2(); }

nvmlReturn_t nvmlShutdown(void) {
    pthread_mutex_lock(&init_lock);
    nvmlReturn_t rc = refs > 0 ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
    if (refs > 0) __atomic_sub_fetch(&refs, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&init_lock);
    return rc;
}

/* The strings libnvidia-ml gives (as its Python bindings repeat them). */
const char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
    case NVML_ERROR_ALREADY_INITIALIZED: return "Already Initialized";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_INSUFFICIENT_POWER: return "Insufficient External Power";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_TIMEOUT: return "Timeout";
    case NVML_ERROR_IRQ_ISSUE: return "Interrupt Request Issue";
    case NVML_ERROR_LIBRARY_NOT_FOUND: return "NVML Shared Library Not Found";
    case NVML_ERROR_FUNCTION_NOT_FOUND: return "Function Not Found";
    case NVML_ERROR_CORRUPTED_INFOROM: return "Corrupted infoROM";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    case NVML_ERROR_RESET_REQUIRED: return "GPU requires restart";
    case NVML_ERROR_OPERATING_SYSTEM: return "The operating system has blocked the request.";
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "RM has detected an NVML/RM version mismatch.";
    case NVML_ERROR_IN_USE: return "In use by another client";
    case NVML_ERROR_MEMORY: return "Insufficient Memory";
    case NVML_ERROR_NO_DATA: return "No data";
    case NVML_ERROR_ARGUMENT_VERSION_MISMATCH: return "Argument version mismatch";
    case NVML_ERROR_NOT_READY: return "Not Ready";
    default: return "Unknown Error";
    }
}

/* Checks a device call: initialised, a valid handle, then any scripted failure of `function` on that GPU. */
#define CHECK_DEVICE(d, function) \
    if (!standin_initialized()) return NVML_ERROR_UNINITIALIZED; \
    if (!(d) || (d)->index < 0 || (d)->index >= s.devices) return NVML_ERROR_INVALID_ARGUMENT; \
    { nvmlReturn_t scripted_rc = scripted(function, (d)->index); if (scripted_rc != NVML_SUCCESS) return scripted_rc; }

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!standin_initialized()) return NVML_ERROR_UNINITIALIZED;
    if (!count) return NVML_ERROR_INVALID_ARGUMENT;
    nvmlReturn_t rc = scripted("count", -1);
    if (rc != NVML_SUCCESS) return rc;
    *count = (unsigned)s.devices;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!standin_initialized()) return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= (unsigned)s.devices) return NVML_ERROR_INVALID_ARGUMENT;
    nvmlReturn_t rc = scripted("handle", (int)index);
    if (rc != NVML_SUCCESS) return rc;
    *device = &handles[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    CHECK_DEVICE(device, "name");
    if (!name) return NVML_ERROR_INVALID_ARGUMENT;
    int n = snprintf(name, length, "%s", s.name);
    return n < 0 || (unsigned)n >= length ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device, unsigned int *arch) {
    CHECK_DEVICE(device, "architecture");
    if (!arch) return NVML_ERROR_INVALID_ARGUMENT;
    *arch = s.architecture->arch;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor) {
    CHECK_DEVICE(device, "compute_capability");
    if (!major || !minor) return NVML_ERROR_INVALID_ARGUMENT;
    *major = s.architecture->cc_major;
    *minor = s.architecture->cc_minor;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy) {
    CHECK_DEVICE(device, "energy");
    if (!energy) return NVML_ERROR_INVALID_ARGUMENT;
    *energy = (unsigned long long)counter_mj(device->index, since_init_ms());
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    CHECK_DEVICE(device, "power");
    if (!power) return NVML_ERROR_INVALID_ARGUMENT;
    double t = since_init_ms();
    *power = (unsigned)(s.architecture->averaged ? average_power_mw(device->index, t) : power_mw(device->index, t));
    return NVML_SUCCESS;
}

/* Stores milliwatts as the scripted nvmlValueType_t. */
static void store(nvmlFieldValue_t *v, double mw) {
    v->valueType = s.value_type;
    switch (s.value_type) {
    case 0: v->value.dVal = mw; break;
    case 2: v->value.ulVal = (unsigned long)mw; break;
    case 3: v->value.ullVal = (unsigned long long)mw; break;
    case 4: v->value.sllVal = (signed long long)mw; break;
    case 5: v->value.siVal = (int)mw; break;
    case 6: v->value.usVal = (unsigned short)(mw > 65535 ? 65535 : mw); break;
    default: v->value.uiVal = (unsigned int)mw; break;
    }
}

nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount, nvmlFieldValue_t *values) {
    CHECK_DEVICE(device, "fields");
    if (!values || valuesCount < 0) return NVML_ERROR_INVALID_ARGUMENT;
    double t = since_init_ms();
    for (int i = 0; i < valuesCount; i++) {
        nvmlFieldValue_t *v = &values[i];
        v->timestamp = (long long)(now_ms() * 1000.0);
        v->latencyUsec = 0;
        if (v->fieldId == NVML_FI_DEV_POWER_INSTANT) {
            v->nvmlReturn = scripted("power_instant", device->index);
            if (v->nvmlReturn == NVML_SUCCESS) store(v, power_mw(device->index, t));
        } else if (v->fieldId == NVML_FI_DEV_POWER_AVERAGE && s.architecture->averaged) {
            v->nvmlReturn = scripted("power_average", device->index);
            if (v->nvmlReturn == NVML_SUCCESS) store(v, average_power_mw(device->index, t));
        } else {
            v->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
        }
    }
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    CHECK_DEVICE(device, "memory");
    if (!memory) return NVML_ERROR_INVALID_ARGUMENT;
    /* v1 counts the driver's reserved memory as used. */
    memory->total = s.memory_total;
    memory->used = s.memory_used + s.memory_reserved;
    memory->free = s.memory_total - memory->used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
    CHECK_DEVICE(device, "memory_v2");
    if (!memory) return NVML_ERROR_INVALID_ARGUMENT;
    if (memory->version != nvmlMemory_v2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    memory->total = s.memory_total;
    memory->reserved = s.memory_reserved;
    memory->used = s.memory_used;
    memory->free = s.memory_total - s.memory_reserved - s.memory_used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensorType, unsigned int *temp) {
    CHECK_DEVICE(device, "temperature");
    if (!temp || sensorType != 0) return NVML_ERROR_INVALID_ARGUMENT;
    *temp = s.temperature;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *clock) {
    CHECK_DEVICE(device, "clocks");
    if (!clock) return NVML_ERROR_INVALID_ARGUMENT;
    *clock = type == 1 ? s.sm_clock : s.sm_clock / 2;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
    CHECK_DEVICE(device, "utilization");
    if (!utilization) return NVML_ERROR_INVALID_ARGUMENT;
    utilization->gpu = s.util;
    utilization->memory = s.util / 2;
    return NVML_SUCCESS;
}
