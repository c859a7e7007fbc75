/* Shared by the NVML stand-in's files: NVML's public types (nvml.h's layouts and numbering) and the scripted device. */
#ifndef IPW_NVML_STANDIN_H
#define IPW_NVML_STANDIN_H

typedef int nvmlReturn_t;
/* nvmlReturn_t, numbered as in nvml.h. */
enum {
    NVML_SUCCESS = 0, NVML_ERROR_UNINITIALIZED = 1, NVML_ERROR_INVALID_ARGUMENT = 2, NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4, NVML_ERROR_ALREADY_INITIALIZED = 5, NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7, NVML_ERROR_INSUFFICIENT_POWER = 8, NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10, NVML_ERROR_IRQ_ISSUE = 11, NVML_ERROR_LIBRARY_NOT_FOUND = 12,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13, NVML_ERROR_CORRUPTED_INFOROM = 14, NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_RESET_REQUIRED = 16, NVML_ERROR_OPERATING_SYSTEM = 17, NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_IN_USE = 19, NVML_ERROR_MEMORY = 20, NVML_ERROR_NO_DATA = 21, NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
    NVML_ERROR_INSUFFICIENT_RESOURCES = 23, NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25, NVML_ERROR_DEPRECATED = 26, NVML_ERROR_NOT_READY = 27,
    NVML_ERROR_GPU_NOT_FOUND = 28, NVML_ERROR_INVALID_STATE = 29, NVML_ERROR_UNKNOWN = 999
};

/* nvmlDeviceArchitecture_t values. */
#define NVML_DEVICE_ARCH_VOLTA 5
#define NVML_DEVICE_ARCH_AMPERE 7
#define NVML_DEVICE_ARCH_UNKNOWN 0xffffffffu

/* Which reading GetPowerUsage gives: per nvml.h, a 1-s average on Ampere (except GA100) and newer. */
typedef struct {
    const char *key;
    unsigned int arch;
    int cc_major, cc_minor;
    int averaged;
} architecture_t;

/* The stand-in's own functions stay out of the library's exports, which are NVML's (and the two test controls). */
#define INTERNAL __attribute__((visibility("hidden")))

#define MAX_RULES 32

/* A scripted failure: `function` returns `code` (on every device, or on `device`) from `after_ms` on. */
typedef struct {
    char function[32];
    int device;
    nvmlReturn_t code;
    double after_ms;
} rule_t;

typedef struct {
    int devices;
    char name[96];
    double low_mw, high_mw, period_ms, step_ms, jitter_ms, reset_at_ms, start_mj;
    unsigned long long jitter_seed;
    unsigned long long memory_total, memory_used, memory_reserved;
    unsigned int temperature, sm_clock, util;
    int value_type;
    const architecture_t *architecture;
    rule_t rules[MAX_RULES];
    int n_rules;
} script_t;

INTERNAL extern script_t s;

/* script.c */
INTERNAL void script_load(void);
INTERNAL double now_ms(void);
INTERNAL double since_init_ms(void);
INTERNAL void script_started(void);
INTERNAL nvmlReturn_t scripted(const char *function, int device);

/* trace.c */
INTERNAL void trace_reset(void);
INTERNAL double power_mw(int device, double t);
INTERNAL double average_power_mw(int device, double t);
INTERNAL double counter_mj(int device, double t);
INTERNAL int standin_initialized(void);

#endif
