/* The NVML stand-in's script: the configuration file, the scripted failures and the clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "standin.h"

script_t s;
static double t0;

/* Compute capability tells GA100 (8.0) from the rest of Ampere (8.6, 8.7), as it does on real boards. */
static const architecture_t architectures[] = {
    {"pascal", 4, 6, 0, 0}, {"volta", 5, 7, 0, 0}, {"turing", 6, 7, 5, 0}, {"ga100", 7, 8, 0, 0},
    {"ampere", 7, 8, 6, 1}, {"ada", 8, 8, 9, 1}, {"hopper", 9, 9, 0, 1}, {"blackwell", 10, 10, 0, 1},
    {"unknown", NVML_DEVICE_ARCH_UNKNOWN, 12, 0, 1},
};

static const char *value_types[] = {"double", "uint", "ulong", "ullong", "sll", "sint", "ushort"};

double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

double since_init_ms(void) { return now_ms() - t0; }

void script_started(void) { t0 = now_ms(); }

static void add_rule(const char *function, int device, nvmlReturn_t code, double after_ms) {
    if (s.n_rules == MAX_RULES) return;
    rule_t *r = &s.rules[s.n_rules++];
    snprintf(r->function, sizeof r->function, "%.31s", function);
    r->device = device;
    r->code = code;
    r->after_ms = after_ms;
}

/* fail.<function>[.gpu<N>]=<code>[@<after_ms>] */
static void parse_fail(char *what, const char *value) {
    int device = -1;
    char *dot = strstr(what, ".gpu");
    if (dot) {
        device = atoi(dot + 4);
        *dot = 0;
    }
    const char *at = strchr(value, '@');
    add_rule(what, device, atoi(value), at ? atof(at + 1) : 0);
}

/* not_supported=a,b: the older shorthand for fail.a=3, fail.b=3. */
static void parse_not_supported(char *list) {
    for (char *item = strtok(list, ","); item; item = strtok(NULL, ",")) add_rule(item, -1, NVML_ERROR_NOT_SUPPORTED, 0);
}

static void set_defaults(void) {
    memset(&s, 0, sizeof s);
    s.devices = 1;
    snprintf(s.name, sizeof s.name, "NVIDIA Stand-in GPU");
    s.low_mw = 100000; s.high_mw = 300000; s.period_ms = 1000; s.step_ms = 100; s.reset_at_ms = -1;
    s.start_mj = 25e9; /* 25 MJ: a board up for about three days at 100 W */
    s.jitter_seed = 1;
    s.memory_total = 85899345920ULL; s.memory_used = 1073741824ULL; s.memory_reserved = 536870912ULL;
    s.temperature = 45; s.sm_clock = 1980; s.util = 0;
    s.value_type = 1;
    s.architecture = &architectures[6];
}

static void set(char *key, char *value) {
    if (!strcmp(key, "devices")) s.devices = atoi(value);
    else if (!strcmp(key, "name")) snprintf(s.name, sizeof s.name, "%s", value);
    else if (!strcmp(key, "power_low_mw")) s.low_mw = atof(value);
    else if (!strcmp(key, "power_high_mw")) s.high_mw = atof(value);
    else if (!strcmp(key, "period_ms")) s.period_ms = atof(value);
    else if (!strcmp(key, "energy_step_ms")) s.step_ms = atof(value);
    else if (!strcmp(key, "energy_jitter_ms")) s.jitter_ms = atof(value);
    else if (!strcmp(key, "energy_jitter_seed")) s.jitter_seed = strtoull(value, NULL, 10);
    else if (!strcmp(key, "energy_start_mj")) s.start_mj = atof(value);
    else if (!strcmp(key, "reset_at_ms")) s.reset_at_ms = atof(value);
    else if (!strcmp(key, "not_supported")) parse_not_supported(value);
    else if (!strncmp(key, "fail.", 5)) parse_fail(key + 5, value);
    else if (!strcmp(key, "memory_total")) s.memory_total = strtoull(value, NULL, 10);
    else if (!strcmp(key, "memory_used")) s.memory_used = strtoull(value, NULL, 10);
    else if (!strcmp(key, "memory_reserved")) s.memory_reserved = strtoull(value, NULL, 10);
    else if (!strcmp(key, "temperature_c")) s.temperature = (unsigned)atoi(value);
    else if (!strcmp(key, "sm_clock_mhz")) s.sm_clock = (unsigned)atoi(value);
    else if (!strcmp(key, "util_gpu")) s.util = (unsigned)atoi(value);
    else if (!strcmp(key, "architecture")) {
        for (size_t i = 0; i < sizeof architectures / sizeof *architectures; i++)
            if (!strcmp(value, architectures[i].key)) s.architecture = &architectures[i];
    } else if (!strcmp(key, "field_value_type")) {
        for (int i = 0; i < (int)(sizeof value_types / sizeof *value_types); i++)
            if (!strcmp(value, value_types[i])) s.value_type = i;
    }
}

void script_load(void) {
    set_defaults();
    const char *path = getenv("IPW_NVML_STANDIN_CONFIG");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            char *eq = strchr(line, '=');
            if (!eq) continue;
            *eq = 0;
            char *value = eq + 1;
            value[strcspn(value, "\r\n")] = 0;
            set(line, value);
        }
        fclose(f);
    }
    if (s.devices < 0) s.devices = 0;
    if (s.devices > 16) s.devices = 16;
    if (s.step_ms <= 0) s.step_ms = 1;
    /* Publications stay in order: at most just under half a step either way. */
    if (s.jitter_ms > 0.45 * s.step_ms) s.jitter_ms = 0.45 * s.step_ms;
}

/* The scripted return code of `function` on `device` (-1: not a device call) now; NVML_SUCCESS when none applies.
 * "device" names every call on a device (a GPU that fell off the bus). */
nvmlReturn_t scripted(const char *function, int device) {
    double t = since_init_ms();
    for (int i = 0; i < s.n_rules; i++) {
        const rule_t *r = &s.rules[i];
        int named = !strcmp(r->function, function) || (device >= 0 && !strcmp(r->function, "device"));
        if (named && (r->device < 0 || r->device == device) && t >= r->after_ms) return r->code;
    }
    return NVML_SUCCESS;
}
