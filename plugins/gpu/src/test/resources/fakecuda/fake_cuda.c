/*
 * A fake CUDA driver for Arbor's tests: the symbols and C ABI of libcuda.so.1 that the cuda backend
 * binds, implemented on host memory. It checks what the Java side marshals: device pointers are
 * malloc'd host addresses, copies are memcpy, modules keep the PTX text, and cuLaunchKernel parses
 * the entry's parameter list from that PTX to read kernelParams with the right sizes. It records
 * every launch (name, grid, block, parameters) and runs a tiny C version of a few kernels, keyed by
 * name, so results can be checked end to end. Failures are injected through fake_* hooks.
 * Built by the test with gcc; never shipped.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

#define MAX_PARAMS 64

typedef struct {
  char *ptx;
} Module;

typedef struct {
  char name[256];
  int nparams;
  int sizes[MAX_PARAMS];
} Function;

static int initialized;
static long live_allocations;
static long long alloc_limit = -1;
static CUresult launch_error;
static long launches;
static char last_name[256];
static unsigned last_dims[6];
static unsigned long long last_params[MAX_PARAMS];
static int last_nparams;
static int last_executed;

/* ---------------------------------------------------------------- test hooks */

long fake_live_allocations(void) { return live_allocations; }
void fake_set_alloc_limit(long long bytes) { alloc_limit = bytes; }
void fake_set_launch_error(int code) { launch_error = code; }
long fake_launch_count(void) { return launches; }
int fake_last_executed(void) { return last_executed; }
int fake_last_launch(char *name, unsigned *dims, unsigned long long *params) {
  strcpy(name, last_name);
  memcpy(dims, last_dims, sizeof last_dims);
  memcpy(params, last_params, sizeof(unsigned long long) * last_nparams);
  return last_nparams;
}

/* ---------------------------------------------------------------- driver API */

CUresult cuInit(unsigned flags) {
  if (flags != 0) return 1; /* CUDA_ERROR_INVALID_VALUE */
  initialized = 1;
  return 0;
}

CUresult cuDriverGetVersion(int *v) { *v = 13000; return 0; }

CUresult cuDeviceGetCount(int *n) {
  if (!initialized) return 3; /* CUDA_ERROR_NOT_INITIALIZED */
  *n = 1;
  return 0;
}

CUresult cuDeviceGet(CUdevice *d, int ordinal) {
  if (ordinal != 0) return 101;
  *d = 0;
  return 0;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
  strncpy(name, "Arbor fake CUDA device", len - 1);
  name[len - 1] = 0;
  return 0;
}

CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice d) {
  if (attr == 75) *v = 9;      /* compute capability major */
  else if (attr == 76) *v = 0; /* minor */
  else return 1;
  return 0;
}

static int the_context;
CUresult cuDevicePrimaryCtxRetain(void **ctx, CUdevice d) { *ctx = &the_context; return 0; }
CUresult cuCtxSetCurrent(void *ctx) { return ctx == &the_context ? 0 : 201; }

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  if (bytes == 0) return 1;
  if (alloc_limit >= 0 && (long long)bytes > alloc_limit) return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  void *m = malloc(bytes);
  if (!m) return 2;
  live_allocations++;
  *p = (CUdeviceptr)(uintptr_t)m;
  return 0;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
  if (!p) return 1;
  free((void *)(uintptr_t)p);
  live_allocations--;
  return 0;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) {
  memcpy((void *)(uintptr_t)dst, src, n);
  return 0;
}

CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) {
  memcpy(dst, (void *)(uintptr_t)src, n);
  return 0;
}

CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
  memcpy((void *)(uintptr_t)dst, (void *)(uintptr_t)src, n);
  return 0;
}

CUresult cuModuleLoadData(void **module, const void *image) {
  const char *text = image;
  if (!strstr(text, ".version") || !strstr(text, ".entry")) return 218; /* CUDA_ERROR_INVALID_PTX */
  Module *m = malloc(sizeof(Module));
  m->ptx = strdup(text);
  *module = m;
  return 0;
}

CUresult cuModuleUnload(void *module) {
  Module *m = module;
  free(m->ptx);
  free(m);
  return 0;
}

CUresult cuModuleGetFunction(void **fn, void *module, const char *name) {
  Module *m = module;
  char pattern[300];
  snprintf(pattern, sizeof pattern, ".entry %s(", name);
  char *at = strstr(m->ptx, pattern);
  if (!at) return 500; /* CUDA_ERROR_NOT_FOUND */
  Function *f = calloc(1, sizeof(Function));
  strncpy(f->name, name, sizeof f->name - 1);
  char *end = strchr(at, ')');
  for (char *p = strstr(at, ".param"); p && p < end; p = strstr(p + 1, ".param")) {
    if (f->nparams == MAX_PARAMS) return 1;
    f->sizes[f->nparams++] = strncmp(p, ".param .u64", 11) == 0 ? 8 : 4;
  }
  *fn = f;
  return 0;
}

static CUresult stream_object;
CUresult cuStreamCreate(void **s, unsigned flags) { *s = &stream_object; return 0; }
CUresult cuStreamSynchronize(void *s) { return s == &stream_object ? 0 : 400; }
CUresult cuCtxSynchronize(void) { return 0; }

#define PTR(k, T) ((T *)(uintptr_t)last_params[k])
#define INT(k) ((int)last_params[k])

/* Runs the C version of the kernels it knows, keyed by name; returns whether it ran one. */
static int execute(const char *name) {
  if (!strcmp(name, "arbor_add_f32") || !strcmp(name, "arbor_mul_f32") ||
      !strcmp(name, "arbor_sub_f32")) {
    float *a = PTR(0, float), *b = PTR(1, float), *o = PTR(2, float);
    int n = INT(3);
    for (int i = 0; i < n; i++)
      o[i] = name[6] == 'a' ? a[i] + b[i] : name[6] == 'm' ? a[i] * b[i] : a[i] - b[i];
    return 1;
  }
  if (!strcmp(name, "arbor_add_f64")) {
    double *a = PTR(0, double), *b = PTR(1, double), *o = PTR(2, double);
    for (int i = 0; i < INT(3); i++) o[i] = a[i] + b[i];
    return 1;
  }
  if (!strcmp(name, "arbor_tanh_f32")) {
    float *a = PTR(0, float), *o = PTR(1, float);
    for (int i = 0; i < INT(2); i++) o[i] = tanhf(a[i]);
    return 1;
  }
  if (!strcmp(name, "arbor_matmul_f32")) {
    float *a = PTR(0, float), *b = PTR(1, float), *c = PTR(2, float);
    int batch = INT(3), m = INT(4), n = INT(5), k = INT(6);
    int aB = INT(7), aR = INT(8), aK = INT(9), bB = INT(10), bK = INT(11), bC = INT(12);
    for (int z = 0; z < batch; z++)
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          float acc = 0;
          for (int q = 0; q < k; q++) acc += a[z * aB + i * aR + q * aK] * b[z * bB + q * bK + j * bC];
          c[(z * m + i) * n + j] = acc;
        }
    return 1;
  }
  return 0;
}

CUresult cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, void *stream, void **params, void **extra) {
  if (launch_error) return launch_error;
  if (stream != &stream_object || extra != NULL || params == NULL) return 1;
  Function *f = fn;
  launches++;
  strcpy(last_name, f->name);
  unsigned dims[6] = {gx, gy, gz, bx, by, bz};
  memcpy(last_dims, dims, sizeof dims);
  last_nparams = f->nparams;
  for (int k = 0; k < f->nparams; k++) {
    last_params[k] = f->sizes[k] == 8 ? *(unsigned long long *)params[k] : *(unsigned *)params[k];
  }
  last_executed = execute(f->name);
  return 0;
}
