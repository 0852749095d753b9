/*
 * A fake cuBLAS (v2 API) for Arbor's tests: the symbols and C ABI of libcublas.so that the cuda
 * backend binds, implemented on host memory (the fake CUDA driver's "device" pointers are malloc'd
 * host addresses). The GEMMs follow cuBLAS's documented column-major semantics exactly:
 *   C = alpha * op(A) * op(B) + beta * C, op(A) m×k, op(B) k×n, C m×n,
 *   X[i + ld*j] for element (i, j) of a column-major X, op(X) = X (CUBLAS_OP_N) or X^T (CUBLAS_OP_T),
 *   lda >= max(1, transa == N ? m : k), ldb >= max(1, transb == N ? k : n), ldc >= max(1, m),
 *   C is not read when beta == 0; batched calls step each matrix by its stride (in elements).
 * Invalid arguments return CUBLAS_STATUS_INVALID_VALUE (7); a status injected with
 * fake_cublas_set_error is returned by the next GEMMs. Built by the test with gcc; never shipped.
 */
#include <stdlib.h>
#include <string.h>

typedef int cublasStatus_t;
typedef struct {
  int magic;
  void *stream;
} Handle;

#define MAGIC 0x0b1a5

static long live_handles;
static long gemm_calls;
static cublasStatus_t gemm_error;
static int last_args[8]; /* transa, transb, m, n, k, lda, ldb, ldc */
static long long last_batch;

/* ---------------------------------------------------------------- test hooks */

long fake_cublas_live_handles(void) { return live_handles; }
long fake_cublas_gemm_calls(void) { return gemm_calls; }
void fake_cublas_set_error(int status) { gemm_error = status; }
long long fake_cublas_last_call(int *args) {
  memcpy(args, last_args, sizeof last_args);
  return last_batch;
}

/* ---------------------------------------------------------------- cuBLAS API */

cublasStatus_t cublasCreate_v2(Handle **h) {
  if (h == NULL) return 7;
  Handle *p = malloc(sizeof(Handle));
  if (p == NULL) return 3;
  p->magic = MAGIC;
  p->stream = NULL;
  live_handles++;
  *h = p;
  return 0;
}

cublasStatus_t cublasDestroy_v2(Handle *h) {
  if (h == NULL || h->magic != MAGIC) return 1;
  h->magic = 0;
  free(h);
  live_handles--;
  return 0;
}

cublasStatus_t cublasSetStream_v2(Handle *h, void *stream) {
  if (h == NULL || h->magic != MAGIC) return 1;
  h->stream = stream;
  return 0;
}

static int max1(int v) { return v > 1 ? v : 1; }

static cublasStatus_t validate(Handle *h, int ta, int tb, int m, int n, int k, int lda, int ldb,
                               int ldc, long long batch) {
  if (h == NULL || h->magic != MAGIC) return 1;
  if (gemm_error) return gemm_error;
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1)) return 7;
  if (m < 0 || n < 0 || k < 0 || batch < 0) return 7;
  if (lda < max1(ta == 0 ? m : k) || ldb < max1(tb == 0 ? k : n) || ldc < max1(m)) return 7;
  gemm_calls++;
  int args[8] = {ta, tb, m, n, k, lda, ldb, ldc};
  memcpy(last_args, args, sizeof args);
  last_batch = batch;
  return 0;
}

#define GEMM(T, NAME, BATCHED_NAME)                                                              \
  static void NAME##_one(int ta, int tb, int m, int n, int k, T alpha, const T *A, int lda,      \
                         const T *B, int ldb, T beta, T *C, int ldc) {                           \
    for (int j = 0; j < n; j++) {                                                                \
      for (int i = 0; i < m; i++) {                                                              \
        T sum = 0;                                                                               \
        for (int l = 0; l < k; l++) {                                                            \
          T a = ta == 0 ? A[i + (long)lda * l] : A[l + (long)lda * i];                           \
          T b = tb == 0 ? B[l + (long)ldb * j] : B[j + (long)ldb * l];                           \
          sum += a * b;                                                                          \
        }                                                                                        \
        T *c = &C[i + (long)ldc * j];                                                            \
        *c = beta == 0 ? alpha * sum : alpha * sum + beta * *c;                                  \
      }                                                                                          \
    }                                                                                            \
  }                                                                                              \
  cublasStatus_t NAME(Handle *h, int ta, int tb, int m, int n, int k, const T *alpha,            \
                      const T *A, int lda, const T *B, int ldb, const T *beta, T *C, int ldc) {  \
    cublasStatus_t s = validate(h, ta, tb, m, n, k, lda, ldb, ldc, 1);                           \
    if (s) return s;                                                                             \
    NAME##_one(ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc);                          \
    return 0;                                                                                    \
  }                                                                                              \
  cublasStatus_t BATCHED_NAME(Handle *h, int ta, int tb, int m, int n, int k, const T *alpha,    \
                              const T *A, int lda, long long strideA, const T *B, int ldb,       \
                              long long strideB, const T *beta, T *C, int ldc,                   \
                              long long strideC, int batch) {                                    \
    cublasStatus_t s = validate(h, ta, tb, m, n, k, lda, ldb, ldc, batch);                       \
    if (s) return s;                                                                             \
    for (int p = 0; p < batch; p++) {                                                            \
      NAME##_one(ta, tb, m, n, k, *alpha, A + strideA * p, lda, B + strideB * p, ldb, *beta,     \
                 C + strideC * p, ldc);                                                          \
    }                                                                                            \
    return 0;                                                                                    \
  }

GEMM(float, cublasSgemm_v2, cublasSgemmStridedBatched)
GEMM(double, cublasDgemm_v2, cublasDgemmStridedBatched)
