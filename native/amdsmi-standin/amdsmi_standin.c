/*
 * AMD SMI stand-in: the functions ipw calls, with amdsmi.h's signatures and status codes, reading a
 * scripted GPU. Tests script it through the file named by IPW_AMDSMI_STANDIN_CONFIG (key=value lines):
 *   gpus=1              GPUs on one socket
 *   power_w=250         constant board power
 *   resolution_uj=15.3  the energy counter's unit (accumulator x resolution = microjoules)
 *   stuck=1             the counter never advances (as AMD SMI before ROCm 6.3 could report)
 *   memory_used=N       VRAM in use, bytes
 *   energy_step_ms=0    the counter publishes in steps of this many ms (0: current at every read)
 * Time is CLOCK_MONOTONIC since amdsmi_init.
 *
 * Like AMD SMI, initialisation is not reference counted: amdsmi_init on an initialised library returns success and
 * changes nothing, and one amdsmi_shut_down ends it for every user in the process.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int amdsmi_status_t;
typedef void *amdsmi_socket_handle;
typedef void *amdsmi_processor_handle;
enum { AMDSMI_STATUS_SUCCESS = 0, AMDSMI_STATUS_INVAL = 1, AMDSMI_STATUS_NOT_SUPPORTED = 2, AMDSMI_STATUS_NOT_INIT = 32 };
#define AMDSMI_INIT_AMD_GPUS (1 << 1)

static struct { int initialized, gpus, stuck; double power_w, resolution_uj, step_ms, t0; uint64_t memory_used; } s;
static int socket_id, gpu_ids[16];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

amdsmi_status_t amdsmi_init(uint64_t flags) {
    if (!(flags & AMDSMI_INIT_AMD_GPUS)) return AMDSMI_STATUS_INVAL;
    if (s.initialized) return AMDSMI_STATUS_SUCCESS;
    s.gpus = 1; s.stuck = 0; s.power_w = 250; s.resolution_uj = 15.3; s.step_ms = 0; s.memory_used = 4294967296ULL;
    const char *path = getenv("IPW_AMDSMI_STANDIN_CONFIG");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            char *eq = strchr(line, '=');
            if (!eq) continue;
            *eq = 0;
            if (!strcmp(line, "gpus")) s.gpus = atoi(eq + 1);
            else if (!strcmp(line, "power_w")) s.power_w = atof(eq + 1);
            else if (!strcmp(line, "resolution_uj")) s.resolution_uj = atof(eq + 1);
            else if (!strcmp(line, "stuck")) s.stuck = atoi(eq + 1);
            else if (!strcmp(line, "memory_used")) s.memory_used = strtoull(eq + 1, NULL, 10);
            else if (!strcmp(line, "energy_step_ms")) s.step_ms = atof(eq + 1);
        }
        fclose(f);
    }
    if (s.gpus < 0) s.gpus = 0;
    if (s.gpus > 16) s.gpus = 16;
    s.t0 = now_s();
    s.initialized = 1;
    return AMDSMI_STATUS_SUCCESS;
}

amdsmi_status_t amdsmi_shut_down(void) {
    s.initialized = 0;
    return AMDSMI_STATUS_SUCCESS;
}

amdsmi_status_t amdsmi_get_socket_handles(uint32_t *count, amdsmi_socket_handle *handles) {
    if (!s.initialized) return AMDSMI_STATUS_NOT_INIT;
    if (!count) return AMDSMI_STATUS_INVAL;
    if (handles && *count >= 1) handles[0] = &socket_id;
    *count = 1;
    return AMDSMI_STATUS_SUCCESS;
}

amdsmi_status_t amdsmi_get_processor_handles(amdsmi_socket_handle socket, uint32_t *count, amdsmi_processor_handle *handles) {
    if (!s.initialized) return AMDSMI_STATUS_NOT_INIT;
    if (!count || socket != &socket_id) return AMDSMI_STATUS_INVAL;
    if (handles) {
        uint32_t n = *count < (uint32_t)s.gpus ? *count : (uint32_t)s.gpus;
        for (uint32_t i = 0; i < n; i++) { gpu_ids[i] = (int)i; handles[i] = &gpu_ids[i]; }
    }
    *count = (uint32_t)s.gpus;
    return AMDSMI_STATUS_SUCCESS;
}

static int valid(amdsmi_processor_handle h) {
    return h && (int *)h >= gpu_ids && (int *)h < gpu_ids + s.gpus;
}

amdsmi_status_t amdsmi_get_energy_count(amdsmi_processor_handle h, uint64_t *accumulator, float *resolution, uint64_t *timestamp) {
    if (!s.initialized) return AMDSMI_STATUS_NOT_INIT;
    if (!valid(h) || !accumulator || !resolution) return AMDSMI_STATUS_INVAL;
    double t = now_s() - s.t0;
    if (s.step_ms > 0) t = floor(t * 1000 / s.step_ms) * s.step_ms / 1000;
    double uj = s.stuck ? 1000.0 : s.power_w * t * 1e6;
    *accumulator = (uint64_t)(uj / s.resolution_uj);
    *resolution = (float)s.resolution_uj;
    if (timestamp) *timestamp = (uint64_t)(now_s() * 1e9);
    return AMDSMI_STATUS_SUCCESS;
}

amdsmi_status_t amdsmi_get_gpu_memory_usage(amdsmi_processor_handle h, int type, uint64_t *used) {
    if (!s.initialized) return AMDSMI_STATUS_NOT_INIT;
    if (!valid(h) || !used || type != 0) return AMDSMI_STATUS_INVAL;
    *used = s.memory_used;
    return AMDSMI_STATUS_SUCCESS;
}
