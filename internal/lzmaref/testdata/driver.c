/* Test driver for the LZMA SDK 22.00 C encoder with the settings of the
   WS63 SDK packer's `lzma_tool -d12 -lc0 -lp0 e`.

   Input on stdin: any number of records, each a 4-byte little-endian
   length and that many bytes. For each record it writes to stdout a
   4-byte little-endian length and the .lzma file (5 property bytes, the
   8-byte data size, the stream), then two 8-byte little-endian counts of
   nanoseconds LzmaEncode took: wall-clock time, and the process's CPU
   time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "Alloc.h"
#include "LzmaEnc.h"

static int readAll(void *p, size_t n) { return fread(p, 1, n, stdin) == n; }

static void put(unsigned long long v, int bytes) {
  int i;
  for (i = 0; i < bytes; i++)
    putchar((int)((v >> (8 * i)) & 0xFF));
}

int main(void) {
  unsigned char lenBuf[4];
  while (readAll(lenBuf, 4)) {
    size_t n = (size_t)lenBuf[0] | (size_t)lenBuf[1] << 8 | (size_t)lenBuf[2] << 16 | (size_t)lenBuf[3] << 24;
    unsigned char *in = malloc(n + 1);
    size_t outCap = n + n / 2 + 4096, outLen = outCap, propsLen = LZMA_PROPS_SIZE;
    unsigned char *out = malloc(outCap);
    unsigned char props[LZMA_PROPS_SIZE];
    CLzmaEncProps p;
    struct timespec t0, t1, c0, c1;
    int res;
    if (!in || !out || !readAll(in, n)) {
      fprintf(stderr, "driver: short input\n");
      return 2;
    }
    LzmaEncProps_Init(&p);
    p.dictSize = 1 << 12;
    p.lc = 0;
    p.lp = 0;
    p.pb = 2;
    p.algo = 1;
    p.fb = 128;
    p.btMode = 1;
    p.numHashBytes = 4;
    p.mc = 16 + 128 / 2;
    p.writeEndMark = 0;
    p.numThreads = 1;
    p.reduceSize = n;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    res = LzmaEncode(out, &outLen, in, n, &p, props, &propsLen, 0, NULL, &g_Alloc, &g_Alloc);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (res != SZ_OK) {
      fprintf(stderr, "driver: LzmaEncode: %d\n", res);
      return 1;
    }
    put(propsLen + 8 + outLen, 4);
    fwrite(props, 1, propsLen, stdout);
    put((unsigned long long)n, 8);
    fwrite(out, 1, outLen, stdout);
    put((unsigned long long)((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec)), 8);
    put((unsigned long long)((c1.tv_sec - c0.tv_sec) * 1000000000ll + (c1.tv_nsec - c0.tv_nsec)), 8);
    fflush(stdout);
    free(in);
    free(out);
  }
  return 0;
}
