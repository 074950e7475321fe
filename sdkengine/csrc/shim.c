/*
 * ws63emu host shim: the surroundings the WS63 update library needs on a
 * host, written for ws63emu (no vendor code here). It is compiled together
 * with the vendor's unmodified sources into one executable per build
 * variant (app, flashboot) and run by the Go emulator as a child process,
 * one process per boot of that program.
 *
 * The flash: the parent passes the 4 MiB flash image as fd 3; the shim maps
 * it read-only at CPU address 0x200000 (FLASH_START), where the library's
 * direct flash accesses read it. Every chip command the real sfc.c issues
 * below hal_sfc_reg_write / hal_sfc_reg_erase (a page program of at most
 * 64 bytes as hal_sfc_v150.c splits them, one block erase) goes to the
 * parent synchronously: the parent applies it to its flash model (op
 * counting, power cuts, tears, faults) and updates the shared file before
 * it acknowledges. On a power cut the parent kills this process.
 *
 * Messages, both ways, are a 16-byte little-endian header
 * {kind, a, b, n} followed by n payload bytes (protocol.go is the other
 * side; the constants must agree).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <malloc.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#include "errcode.h"
#include "upg.h"
#include "upg_common.h"
#include "sfc.h"
#include "partition.h"
#include "hal_sfc.h"
#include "sfc_porting.h"
#include "cipher.h"
#include "unified_cipher_pke.h"
#include "drv_rom_cipher.h"
#include "drv_flashboot_cipher.h"
#include "LzmaDec.h"

errcode_t ws63_upg_init(void);

/* Child → parent. */
enum {
    K_RESULT = 1,  /* a = errcode, b = extra, payload = extra2, bytes hashed, bytes decoded (u32, u64, u64) */
    K_PROGRAM = 2, /* a = flash offset, payload = data (≤ 64 bytes) */
    K_ERASE = 3,   /* a = flash offset, b = block size */
    K_ECDSA = 4,   /* payload = x‖y‖hash‖r‖s, 32 bytes each */
    K_PRINT = 5,   /* payload = console text */
    K_REBOOT = 6,  /* hal_reboot_chip: the process ends */
    K_FATAL = 7,   /* payload = why the shim cannot go on */
    K_PROGRAM_DONE = 8, /* as K_PROGRAM, already applied by the shim: no reply */
    K_ERASE_DONE = 9,   /* as K_ERASE, already applied by the shim: no reply */
    K_USER_VERIFY = 10, /* payload = the user-defined field; reply: its errcode */
    K_DATA = 11,        /* payload = the next bytes a call read (F_READ), before its K_RESULT */
};

/* Parent → child. */
enum {
    F_INIT = 1,
    F_STORAGE_SIZE = 2,
    F_PREPARE = 3,      /* a = package length */
    F_WRITE = 4,        /* a = offset, payload = data */
    F_REQUEST = 5,      /* a = reset */
    F_START = 6,
    F_RESET_FLAG = 7,
    F_VERIFY_STORED = 8,
    F_RESULT = 9,
    F_EXIT = 10,
    F_USER_VERIFY = 11, /* a = 1: register user_check, 0: unregister */
    F_WRITE_ASYNC = 12, /* as F_WRITE through uapi_upg_write_package_async;
                           extra = 1 + the callback's errcode when it ran, else 0 */
    F_READ = 13,        /* a = offset, payload = length (4 bytes): uapi_upg_read_package,
                           the buffer's bytes in K_DATA messages */
    F_BOOT = 14,        /* power-on: reset the vendor's state, run board start-up */
    F_ACK = 100, /* a = errcode of a flash command, or the ECDSA verdict */
};

#define FLASH_BASE 0x200000u
#define FLASH_LEN 0x400000u
#define PAGE_CMD 64u

static const uint8_t *g_flash = (const uint8_t *)(uintptr_t)FLASH_BASE;
/* g_rw is a second, writable mapping of the same flash, elsewhere: the
 * shim applies the operations of a call's quiet budget through it (the
 * vendor's view at 0x200000 stays read-only). */
static uint8_t *g_rw;
/* g_budget is how many more chip commands of this call the shim may apply
 * itself (the parent's flash.Device.Quiet when the call began): no power
 * cut, fault or hook can touch them. The rest go to the parent one by one. */
static uint32_t g_budget;

/* populate_rw fills in the writable mapping's page tables for writing in
 * one call, once, before the shim first writes through it
 * (MADV_POPULATE_WRITE, Linux 5.14 on; an older kernel refuses the advice
 * and the pages fault in one by one). Only on tmpfs, where a dirty page
 * costs no writeback. */
static void populate_rw(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    struct statfs fs;
    if (fstatfs(3, &fs) == 0 && fs.f_type == 0x01021994) { /* TMPFS_MAGIC */
        (void)madvise(g_rw, FLASH_LEN, MADV_POPULATE_WRITE);
    }
}

/* spend takes cost operations from the budget; false when they do not fit
 * (the budget is then spent: every later command of the call goes to the
 * parent, which keeps the operations in order). */
static bool spend(uint32_t cost)
{
    if (g_budget >= cost) {
        g_budget -= cost;
        return true;
    }
    g_budget = 0;
    return false;
}

/* ---- I/O with the parent ---- */

static uint8_t g_out[1 << 16];
static size_t g_outn;

static void die(const char *why);

static void flush_out(void)
{
    size_t off = 0;
    while (off < g_outn) {
        ssize_t w = write(1, g_out + off, g_outn - off);
        if (w <= 0) {
            _exit(3);
        }
        off += (size_t)w;
    }
    g_outn = 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void send_msg(uint32_t kind, uint32_t a, uint32_t b, const void *payload, uint32_t n)
{
    if (g_outn + 16 + n > sizeof(g_out)) {
        flush_out();
    }
    if (16 + n > sizeof(g_out)) {
        _exit(4);
    }
    put32(g_out + g_outn, kind);
    put32(g_out + g_outn + 4, a);
    put32(g_out + g_outn + 8, b);
    put32(g_out + g_outn + 12, n);
    if (n != 0) {
        memcpy(g_out + g_outn + 16, payload, n);
    }
    g_outn += 16 + n;
}

static uint8_t g_in[1 << 16];
static size_t g_inr, g_inw;

static void read_full(void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n > 0) {
        if (g_inr == g_inw) {
            ssize_t r = read(0, g_in, sizeof(g_in));
            if (r <= 0) {
                _exit(0); /* the parent went away */
            }
            g_inr = 0;
            g_inw = (size_t)r;
        }
        size_t k = g_inw - g_inr;
        if (k > n) {
            k = n;
        }
        memcpy(d, g_in + g_inr, k);
        g_inr += k;
        d += k;
        n -= k;
    }
}

static uint8_t *g_payload;
static uint32_t g_payload_cap;

/* recv_msg reads one parent message; its payload stays in g_payload. */
static void recv_msg(uint32_t *kind, uint32_t *a, uint32_t *b, uint32_t *n)
{
    uint8_t h[16];
    read_full(h, sizeof(h));
    *kind = get32(h);
    *a = get32(h + 4);
    *b = get32(h + 8);
    *n = get32(h + 12);
    if (*n > (1u << 20)) {
        die("message payload too large");
    }
    if (*n > g_payload_cap) {
        g_payload = realloc(g_payload, *n);
        if (g_payload == NULL) {
            die("out of memory");
        }
        g_payload_cap = *n;
    }
    read_full(g_payload, *n);
}

/* roundtrip sends a request and waits for the parent's F_ACK. */
static uint32_t roundtrip(uint32_t kind, uint32_t a, uint32_t b, const void *payload, uint32_t n)
{
    send_msg(kind, a, b, payload, n);
    flush_out();
    uint32_t k, ra, rb, rn;
    recv_msg(&k, &ra, &rb, &rn);
    if (k != F_ACK) {
        die("expected an acknowledgement");
    }
    return ra;
}

static void die(const char *why)
{
    send_msg(K_FATAL, 0, 0, why, (uint32_t)strlen(why));
    flush_out();
    _exit(2);
}

/* ---- console ---- */

void serial_puts(const char *s)
{
    send_msg(K_PRINT, 0, 0, s, (uint32_t)strlen(s));
}

void serial_putc(char c)
{
    send_msg(K_PRINT, 0, 0, &c, 1);
}

void boot_msg0(const char *s)
{
    serial_puts(s);
    serial_puts("\r\n");
}

void print_str(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) {
        send_msg(K_PRINT, 0, 0, buf, (uint32_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1));
    }
}

/* ---- board: delays, watchdog, reboot, interrupts, allocator, efuse ---- */

void uapi_tcxo_delay_ms(uint32_t ms) { (void)ms; }
void uapi_tcxo_delay_us(uint32_t us) { (void)us; }
void osal_msleep(unsigned int ms) { (void)ms; }
errcode_t uapi_watchdog_kick(void) { return ERRCODE_SUCC; }
uint32_t global_interrupt_lock(void) { return 0; }
void global_interrupt_restore(uint32_t s) { (void)s; }
uint32_t osal_irq_lock(void) { return 0; }
void osal_irq_restore(uint32_t s) { (void)s; }
void non_os_enter_critical(void) {}
void non_os_exit_critical(void) {}

/* g_boot is where a reboot returns to: the call loop, which waits for the
 * next F_BOOT. */
static jmp_buf g_boot;

void hal_reboot_chip(void)
{
    send_msg(K_REBOOT, 0, 0, NULL, 0);
    flush_out();
    longjmp(g_boot, 1);
}

/* ---- the boot heap: the vendor's malloc, reset at each boot ----
 *
 * The vendor objects' malloc, free, calloc and realloc are renamed to
 * these at build time (objcopy --redefine-sym), and osal_kmalloc comes
 * here too. Blocks are carved from one region below 4 GiB (the library
 * passes pointers through uint32_t) and kept, when freed, on a free list
 * for a later request of the same or a smaller size. F_BOOT zeroes what
 * the last boot used and empties the heap, so a boot sees the memory a
 * fresh process would: zeros, whatever ran before. */
#define VHEAP_LEN (256u << 20)
#define VHEAP_ALIGN 16u

struct vblock {
    size_t size;         /* usable bytes */
    struct vblock *next; /* on the free list */
};

static uint8_t *g_vheap;
static size_t g_vtop; /* bytes carved since the heap was last emptied */
static struct vblock *g_vfree;

static void vheap_map(void)
{
    /* The brk heap lies above the executable (0x10000000) by up to about
     * a gigabyte of randomisation: try from 2 GiB up. */
    for (uintptr_t at = 0x80000000u; at + VHEAP_LEN <= 0xFFFFFFFFu; at += 0x10000000u) {
        void *p = mmap((void *)at, VHEAP_LEN, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == (void *)at) {
            g_vheap = p;
            (void)madvise(p, VHEAP_LEN, MADV_HUGEPAGE); /* advice only */
            return;
        }
        if (p != MAP_FAILED) {
            munmap(p, VHEAP_LEN); /* a kernel without MAP_FIXED_NOREPLACE */
        }
    }
    die("cannot map the boot heap below 4 GiB");
}

static void vheap_reset(void)
{
    memset(g_vheap, 0, g_vtop);
    g_vtop = 0;
    g_vfree = NULL;
}

void *ws63emu_malloc(size_t n)
{
    size_t size = (n + VHEAP_ALIGN - 1) & ~(size_t)(VHEAP_ALIGN - 1);
    if (size == 0) {
        size = VHEAP_ALIGN;
    }
    if (size < n) {
        return NULL;
    }
    /* First fit on the free list, as long as it wastes less than half. */
    for (struct vblock **pp = &g_vfree; *pp != NULL; pp = &(*pp)->next) {
        struct vblock *b = *pp;
        if (b->size >= size && b->size - size <= size) {
            *pp = b->next;
            b->next = NULL;
            return (uint8_t *)b + sizeof(struct vblock);
        }
    }
    if (size > VHEAP_LEN || VHEAP_LEN - g_vtop < sizeof(struct vblock) + size) {
        return NULL; /* as malloc would: the library reports ERRCODE_MALLOC */
    }
    struct vblock *b = (struct vblock *)(g_vheap + g_vtop);
    g_vtop += sizeof(struct vblock) + size;
    b->size = size;
    b->next = NULL;
    return (uint8_t *)b + sizeof(struct vblock);
}

void ws63emu_free(void *p)
{
    if (p == NULL) {
        return;
    }
    struct vblock *b = (struct vblock *)((uint8_t *)p - sizeof(struct vblock));
    b->next = g_vfree;
    g_vfree = b;
}

void *ws63emu_calloc(size_t n, size_t size)
{
    if (size != 0 && n > (size_t)-1 / size) {
        return NULL;
    }
    void *p = ws63emu_malloc(n * size);
    if (p != NULL) {
        memset(p, 0, n * size);
    }
    return p;
}

void *ws63emu_realloc(void *p, size_t n)
{
    if (p == NULL) {
        return ws63emu_malloc(n);
    }
    if (n == 0) {
        ws63emu_free(p);
        return NULL;
    }
    struct vblock *b = (struct vblock *)((uint8_t *)p - sizeof(struct vblock));
    if (b->size >= n) {
        return p;
    }
    void *q = ws63emu_malloc(n);
    if (q != NULL) {
        memcpy(q, p, b->size);
        ws63emu_free(p);
    }
    return q;
}

void *osal_kmalloc(unsigned long size, unsigned int gfp)
{
    (void)gfp;
    return ws63emu_malloc(size);
}

void osal_kfree(void *addr) { ws63emu_free(addr); }

/* efuse: the update library reads the MSID (logged only) and, with
 * UPG_CFG_ANTI_ROLLBACK_SUPPORT (off on WS63), the anti-rollback words.
 * The shim's efuse reads as zero and ignores writes (a documented stub). */
errcode_t uapi_efuse_read_buffer(uint8_t *buffer, uint32_t byte_number, uint16_t length)
{
    (void)byte_number;
    memset(buffer, 0, length);
    return ERRCODE_SUCC;
}

errcode_t uapi_efuse_write_buffer(uint32_t byte_number, const uint8_t *buffer, uint16_t length)
{
    (void)byte_number;
    (void)buffer;
    (void)length;
    die("efuse write: not modelled by the SDK engine");
    return ERRCODE_FAIL;
}

/* ---- below sfc.c: the SFC controller as the chip commands it issues ---- */

#define GD25Q32_ID 0x1640C8u

uintptr_t sfc_port_get_sfc_start_addr(void) { return FLASH_BASE; }
uintptr_t sfc_port_get_sfc_end_addr(void) { return FLASH_BASE + FLASH_LEN - 1; }
void sfc_port_lock_init(void) {}
uint32_t sfc_port_lock(void) { return 0; }
void sfc_port_unlock(uint32_t s) { (void)s; }
uint32_t sfc_port_write_lock(uint32_t start, uint32_t end)
{
    (void)start;
    (void)end;
    return 0;
}
void sfc_port_write_unlock(uint32_t s) { (void)s; }

errcode_t hal_sfc_regs_init(void) { return ERRCODE_SUCC; }
void hal_sfc_regs_deinit(void) {}

errcode_t hal_sfc_get_flash_id(uint32_t *flash_id)
{
    *flash_id = GD25Q32_ID;
    return ERRCODE_SUCC;
}

errcode_t hal_sfc_init(flash_spi_ctrl_t *spi_ctrl, uint32_t mapping, uint32_t flash_size)
{
    (void)spi_ctrl;
    (void)mapping;
    (void)flash_size;
    return ERRCODE_SUCC;
}

void hal_sfc_deinit(void) {}

static errcode_t check_range(uint32_t addr, uint32_t size)
{
    if (addr > FLASH_LEN || size > FLASH_LEN - addr) {
        return ERRCODE_INVALID_PARAM;
    }
    return ERRCODE_SUCC;
}

errcode_t hal_sfc_reg_read(uint32_t flash_addr, uint8_t *read_buffer, uint32_t read_size,
                           spi_opreation_t read_opreation)
{
    (void)read_opreation;
    if (check_range(flash_addr, read_size) != ERRCODE_SUCC) {
        return ERRCODE_INVALID_PARAM;
    }
    memcpy(read_buffer, g_flash + flash_addr, read_size);
    return ERRCODE_SUCC;
}

/* hal_sfc_reg_write splits a write as hal_sfc_v150.c does: up to the next
 * 64-byte boundary first, then 64-byte commands. Each is one page program. */
errcode_t hal_sfc_reg_write(uint32_t flash_addr, uint8_t *write_data, uint32_t write_size,
                            spi_opreation_t write_opreation)
{
    (void)write_opreation;
    if (check_range(flash_addr, write_size) != ERRCODE_SUCC) {
        return ERRCODE_INVALID_PARAM;
    }
    uint32_t cur = PAGE_CMD - (flash_addr % PAGE_CMD);
    if (write_size < cur) {
        cur = write_size;
    }
    uint32_t addr = flash_addr;
    uint32_t left = write_size;
    const uint8_t *p = write_data;
    for (;;) {
        if (spend(1)) {
            populate_rw();
            for (uint32_t i = 0; i < cur; i++) {
                g_rw[addr + i] &= p[i];
            }
            send_msg(K_PROGRAM_DONE, addr, 0, p, cur);
        } else {
            uint32_t ret = roundtrip(K_PROGRAM, addr, 0, p, cur);
            if (ret != ERRCODE_SUCC) {
                return (errcode_t)ret;
            }
        }
        addr += cur;
        p += cur;
        left -= cur;
        if (left == 0) {
            return ERRCODE_SUCC;
        }
        cur = left < PAGE_CMD ? left : PAGE_CMD;
    }
}

errcode_t hal_sfc_reg_erase(uint32_t flash_addr, spi_opreation_t erase_opreation, bool delete_chip)
{
    if (delete_chip) {
        die("chip erase: not modelled by the SDK engine");
    }
    if (check_range(flash_addr, erase_opreation.size) != ERRCODE_SUCC) {
        return ERRCODE_INVALID_PARAM;
    }
    if (spend(1)) { /* one block erase is one chip command */
        populate_rw();
        memset(g_rw + flash_addr, 0xFF, erase_opreation.size);
        send_msg(K_ERASE_DONE, flash_addr, erase_opreation.size, NULL, 0);
        return ERRCODE_SUCC;
    }
    return (errcode_t)roundtrip(K_ERASE, flash_addr, erase_opreation.size, NULL, 0);
}

errcode_t hal_sfc_dma_read(uint32_t flash_addr, uint8_t *read_buffer, uint32_t read_size)
{
    spi_opreation_t op = {0};
    return hal_sfc_reg_read(flash_addr, read_buffer, read_size, op);
}

errcode_t hal_sfc_dma_write(uint32_t flash_addr, uint8_t *write_buffer, uint32_t write_size)
{
    spi_opreation_t op = {0};
    return hal_sfc_reg_write(flash_addr, write_buffer, write_size, op);
}

errcode_t hal_sfc_reg_flash_opreations(uint32_t opt_type, uint8_t cmd, uint8_t *buffer, uint32_t length)
{
    (void)opt_type;
    (void)cmd;
    (void)buffer;
    (void)length;
    die("raw flash command: not modelled by the SDK engine");
    return ERRCODE_FAIL;
}

void hal_sfc_suspend(void) {}
errcode_t hal_sfc_resume(bool quad_mode)
{
    (void)quad_mode;
    return ERRCODE_SUCC;
}
/* ---- crypto: SHA-256 here (sha256.c), brainpoolP256r1 ECDSA in the parent ---- */

void ws63emu_sha256(const uint8_t *data, size_t n, uint8_t out[32]);
typedef struct {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t bn;
} ws63emu_sha256_ctx;
void ws63emu_sha256_init(ws63emu_sha256_ctx *c);
void ws63emu_sha256_update(ws63emu_sha256_ctx *c, const uint8_t *p, size_t n);
void ws63emu_sha256_final(ws63emu_sha256_ctx *c, uint8_t out[32]);

/* CPU work of the current call, reported with its result so that the
 * emulator charges it to the simulated clock as it does the Go model's. */
static uint64_t g_hashed;  /* SHA-256 input bytes */
static uint64_t g_decoded; /* LZMA output bytes */

/* The library's LZMA calls reach LzmaDec.c through these (the link wraps
 * them, -Wl,--wrap): they only count the bytes produced. */
SRes __real_LzmaDec_DecodeToDic(CLzmaDec *p, SizeT dicLimit, const Byte *src, SizeT *srcLen,
    ELzmaFinishMode finishMode, ELzmaStatus *status);
SRes __real_LzmaDec_DecodeToBuf(CLzmaDec *p, Byte *dest, SizeT *destLen, const Byte *src, SizeT *srcLen,
    ELzmaFinishMode finishMode, ELzmaStatus *status);

SRes __wrap_LzmaDec_DecodeToDic(CLzmaDec *p, SizeT dicLimit, const Byte *src, SizeT *srcLen,
    ELzmaFinishMode finishMode, ELzmaStatus *status)
{
    SizeT before = p->dicPos;
    SRes r = __real_LzmaDec_DecodeToDic(p, dicLimit, src, srcLen, finishMode, status);
    if (p->dicPos > before) {
        g_decoded += p->dicPos - before;
    }
    return r;
}

SRes __wrap_LzmaDec_DecodeToBuf(CLzmaDec *p, Byte *dest, SizeT *destLen, const Byte *src, SizeT *srcLen,
    ELzmaFinishMode finishMode, ELzmaStatus *status)
{
    SRes r = __real_LzmaDec_DecodeToBuf(p, dest, destLen, src, srcLen, finishMode, status);
    g_decoded += *destLen;
    return r;
}

static ws63emu_sha256_ctx g_hash;
static bool g_hash_busy;

errcode_t uapi_drv_cipher_hash_start(uint32_t *hash_handle, const uapi_drv_cipher_hash_attr_t *hash_attr)
{
    if (hash_attr->hash_type != UAPI_DRV_CIPHER_HASH_TYPE_SHA256) {
        die("hash: only SHA-256 is modelled by the SDK engine (SM3 is a closed component)");
    }
    if (g_hash_busy) {
        return ERRCODE_FAIL;
    }
    g_hash_busy = true;
    ws63emu_sha256_init(&g_hash);
    *hash_handle = 1;
    return ERRCODE_SUCC;
}

errcode_t uapi_drv_cipher_hash_update(uint32_t hash_handle, const uapi_drv_cipher_buf_attr_t *src_buf,
    const uint32_t len)
{
    if (hash_handle != 1 || !g_hash_busy) {
        return ERRCODE_FAIL;
    }
    ws63emu_sha256_update(&g_hash, (const uint8_t *)src_buf->virt_addr, len);
    g_hashed += len;
    return ERRCODE_SUCC;
}

errcode_t uapi_drv_cipher_hash_finish(uint32_t hash_handle, uint8_t *out, uint32_t *out_len)
{
    if (hash_handle != 1 || !g_hash_busy) {
        return ERRCODE_FAIL;
    }
    g_hash_busy = false;
    if (*out_len < 32) {
        return ERRCODE_FAIL;
    }
    ws63emu_sha256_final(&g_hash, out);
    *out_len = 32;
    return ERRCODE_SUCC;
}

int drv_rom_cipher_sha256(const unsigned char *data, unsigned int data_length, unsigned char *hash,
    unsigned int hash_length)
{
    if (hash_length < 32) {
        return ERRCODE_FAIL;
    }
    ws63emu_sha256(data, data_length, hash);
    g_hashed += data_length;
    return ERRCODE_SUCC;
}

/* ecdsa asks the parent to verify a brainpoolP256r1 signature over a 32-byte
 * hash; 0 means valid. */
static uint32_t ecdsa(const uint8_t *x, const uint8_t *y, uint32_t klen, const uint8_t *hash, uint32_t hlen,
    const uint8_t *r, const uint8_t *s, uint32_t slen)
{
    uint8_t req[160];
    if (klen != 32 || hlen != 32 || slen != 32) {
        return ERRCODE_INVALID_PARAM;
    }
    memcpy(req, x, 32);
    memcpy(req + 32, y, 32);
    memcpy(req + 64, hash, 32);
    memcpy(req + 96, r, 32);
    memcpy(req + 128, s, 32);
    return roundtrip(K_ECDSA, 0, 0, req, sizeof(req));
}

errcode_t uapi_drv_cipher_pke_ecdsa_verify(uapi_drv_cipher_pke_ecc_curve_type_t curve_type,
    const uapi_drv_cipher_pke_ecc_point_t *pub_key, const uapi_drv_cipher_pke_data_t *hash,
    const uapi_drv_cipher_pke_ecc_sig_t *sig)
{
    if (curve_type != UAPI_DRV_CIPHER_PKE_ECC_TYPE_RFC5639_P256) {
        die("ecdsa: only brainpoolP256r1 is modelled by the SDK engine");
    }
    return (errcode_t)ecdsa(pub_key->x, pub_key->y, pub_key->length, hash->data, hash->length, sig->r, sig->s,
        sig->length);
}

int drv_rom_cipher_pke_bp256r_verify(const drv_rom_cipher_ecc_point *pub_key, const drv_rom_cipher_data *hash,
    const drv_rom_cipher_ecc_sig *sig)
{
    return (int)ecdsa(pub_key->x, pub_key->y, pub_key->length, hash->data, hash->length, sig->r, sig->s,
        sig->length);
}

/* Closed components: SM3, SM2 and the symmetric cipher with the key ladder
 * (re-encrypted images). Reaching one stops the engine with a clear reason. */
int drv_rom_cipher_sm3(const unsigned char *data, unsigned int data_length, unsigned char *hash,
    unsigned int hash_length)
{
    (void)data;
    (void)data_length;
    (void)hash;
    (void)hash_length;
    die("SM3: a closed component, not modelled by the SDK engine");
    return ERRCODE_FAIL;
}

int32_t drv_rom_cipher_symc_init(void)
{
    die("symmetric cipher (re-encryption): a closed component, not modelled by the SDK engine");
    return ERRCODE_FAIL;
}
int32_t drv_rom_cipher_symc_deinit(void) { return ERRCODE_FAIL; }
int32_t drv_rom_cipher_symc_decrypt(uint32_t keyslot_chn_num, uint8_t *iv, uint32_t iv_length,
    uint64_t src, uint64_t dst, uint32_t length)
{
    (void)keyslot_chn_num;
    (void)iv;
    (void)iv_length;
    (void)src;
    (void)dst;
    (void)length;
    die("symmetric cipher (re-encryption): a closed component, not modelled by the SDK engine");
    return ERRCODE_FAIL;
}
int drv_rom_cipher_create_keyslot(uint32_t *keyslot_chn_num, const crypto_klad_effective_key *effective_key,
    crypto_kdf_hard_key_type key_type)
{
    (void)keyslot_chn_num;
    (void)effective_key;
    (void)key_type;
    return ERRCODE_FAIL;
}
int drv_rom_cipher_destroy_keyslot(uint32_t keyslot_chn_num)
{
    (void)keyslot_chn_num;
    return ERRCODE_FAIL;
}

/* user_check is the user-defined verification the program registered: the
 * parent runs the Go function the scenario gave. */
static errcode_t user_check(uint8_t *user_info, uint32_t info_len, uintptr_t param)
{
    (void)param;
    return (errcode_t)roundtrip(K_USER_VERIFY, 0, 0, user_info, info_len);
}

/* async_done is the write-done callback the shim passes to
 * uapi_upg_write_package_async: it records that it ran, and with what. */
static bool g_async_ran;
static errcode_t g_async_ret;
static void async_done(errcode_t ret)
{
    g_async_ran = true;
    g_async_ret = ret;
}

/* ---- boots ----
 *
 * One process serves many boots of its program, as one chip runs its
 * start-up code at every power-on: F_BOOT puts back the vendor objects'
 * initialised data (the build moved it to ws63emu_vdata, and their zeroed
 * data to ws63emu_vbss), empties the boot heap, clears the stack the calls
 * run on and the shim's own per-boot state, then runs board start-up.
 * Everything a boot can read is then as a fresh process would have it,
 * whichever boots ran in the process before (TestWarmMatchesFresh). */
extern char __start_ws63emu_vdata[] __attribute__((weak));
extern char __stop_ws63emu_vdata[] __attribute__((weak));
extern char __start_ws63emu_vbss[] __attribute__((weak));
extern char __stop_ws63emu_vbss[] __attribute__((weak));

static char *g_vdata0; /* the vendor's initialised data as linked */

#define STACK_SCRUB (512u << 10)

static void save_vendor_data(void)
{
    size_t n = (size_t)(__stop_ws63emu_vdata - __start_ws63emu_vdata);
    g_vdata0 = malloc(n + 1);
    if (g_vdata0 == NULL) {
        die("out of memory");
    }
    memcpy(g_vdata0, __start_ws63emu_vdata, n);
}

/* scrub_stack zeroes the stack below its caller's frame, where the calls
 * of a boot run. */
static void __attribute__((noinline)) scrub_stack(void)
{
    uint8_t pad[STACK_SCRUB];
    explicit_bzero(pad, sizeof(pad));
}

static void sfc_init(void);

static void power_on(void)
{
    memcpy(__start_ws63emu_vdata, g_vdata0, (size_t)(__stop_ws63emu_vdata - __start_ws63emu_vdata));
    memset(__start_ws63emu_vbss, 0, (size_t)(__stop_ws63emu_vbss - __start_ws63emu_vbss));
    vheap_reset();
    g_budget = 0;
    g_hashed = 0;
    g_decoded = 0;
    g_hash_busy = false;
    g_async_ran = false;
    scrub_stack();
    sfc_init();
    /* Board start-up reads the partition table (flash 0x380); a bad table
     * leaves the library's partition lookups failing, as on the chip. */
    (void)uapi_partition_init();
}

/* ---- the call loop ---- */

static void map_flash(void)
{
    /* The read-only window is filled in at once (MAP_POPULATE), the
     * writable one at the first command the shim applies itself
     * (populate_rw): a boot reads the package and may rewrite megabytes of
     * flash, and a fault per 4 KiB page cost a few percent of a sweep. */
    void *p = mmap((void *)(uintptr_t)FLASH_BASE, FLASH_LEN, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_POPULATE, 3, 0);
    if (p != (void *)(uintptr_t)FLASH_BASE) {
        die("cannot map the flash at 0x200000");
    }
    g_rw = mmap(NULL, FLASH_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
    if (g_rw == MAP_FAILED) {
        die("cannot map the flash writable");
    }

}

static void low_heap(void)
{
    /* Keep the shim's own allocations (the buffers it hands the library)
     * on the brk heap, which a non-PIE executable linked at 0x10000000
     * keeps below 4 GiB (the library passes pointers through uint32_t);
     * the library's own come from the boot heap. */
    mallopt(M_MMAP_MAX, 0);
    void *probe = malloc(1 << 20);
    if (probe == NULL || (uintptr_t)probe + (1 << 20) > 0xFFFFFFFFu) {
        die("the heap is not below 4 GiB");
    }
    free(probe);
}

static void sfc_init(void)
{
    sfc_flash_config_t cfg = {
        .read_type = STANDARD_READ,
        .write_type = PAGE_PROGRAM,
        .mapping_addr = FLASH_BASE,
        .mapping_size = FLASH_LEN,
    };
    errcode_t ret = uapi_sfc_init(&cfg);
    if (ret != ERRCODE_SUCC) {
        die("uapi_sfc_init failed");
    }
}

int main(void)
{
    low_heap();
    map_flash();
    vheap_map();
    save_vendor_data();
    /* A reboot (hal_reboot_chip) comes back here; the next message is the
     * next boot's F_BOOT. */
    (void)setjmp(g_boot);
    for (;;) {
        uint32_t fn, a, b, n;
        recv_msg(&fn, &a, &b, &n);
        g_budget = b;
        errcode_t ret = ERRCODE_SUCC;
        uint32_t extra = 0, extra2 = 0;
        switch (fn) {
            case F_INIT:
                ret = ws63_upg_init();
                extra = (uint32_t)upg_get_ctx()->upg_status;
                break;
            case F_STORAGE_SIZE:
                extra = uapi_upg_get_storage_size();
                break;
            case F_PREPARE: {
                upg_prepare_info_t info;
                memset(&info, 0, sizeof(info));
                info.package_len = a;
                ret = uapi_upg_prepare(&info);
                break;
            }
            case F_WRITE:
                if (n > 0xFFFF) {
                    die("write larger than 64 KiB");
                }
                ret = uapi_upg_write_package_sync(a, g_payload, (uint16_t)n);
                break;
            case F_WRITE_ASYNC:
                if (n > 0xFFFF) {
                    die("write larger than 64 KiB");
                }
                g_async_ran = false;
                ret = uapi_upg_write_package_async(a, g_payload, (uint16_t)n, async_done);
                extra = g_async_ran ? 1u + (uint32_t)g_async_ret : 0u;
                break;
            case F_READ: {
                if (n != 4) {
                    die("read: want a 4-byte length");
                }
                uint32_t len = (uint32_t)g_payload[0] | (uint32_t)g_payload[1] << 8 | (uint32_t)g_payload[2] << 16 |
                    (uint32_t)g_payload[3] << 24;
                if (len > (16u << 20)) {
                    die("read larger than 16 MiB");
                }
                uint8_t *buf = calloc(1, len ? len : 1);
                if (buf == NULL) {
                    die("out of memory");
                }
                ret = uapi_upg_read_package(a, buf, len);
                for (uint32_t off = 0; off < len;) {
                    uint32_t k = len - off < 0x8000u ? len - off : 0x8000u;
                    send_msg(K_DATA, off, 0, buf + off, k);
                    off += k;
                }
                free(buf);
                break;
            }
            case F_REQUEST:
                ret = uapi_upg_request_upgrade(a != 0);
                break;
            case F_START:
                ret = uapi_upg_start();
                break;
            case F_RESET_FLAG:
                ret = uapi_upg_reset_upgrade_flag();
                break;
            case F_VERIFY_STORED: {
                upg_package_header_t *hdr = NULL;
                ret = upg_get_package_header(&hdr);
                if (ret == ERRCODE_SUCC) {
                    ret = uapi_upg_verify_file(hdr);
                }
                break;
            }
            case F_RESULT: {
                upg_result_t r = UPG_RESULT_MAX;
                uint32_t idx = 0;
                ret = uapi_upg_get_result(&r, &idx);
                extra = (uint32_t)r;
                extra2 = idx;
                break;
            }
            case F_USER_VERIFY:
                uapi_upg_register_user_defined_verify_func(a != 0 ? user_check : NULL, 0);
                break;
            case F_BOOT:
                power_on();
                break;
            case F_EXIT:
                flush_out();
                return 0;
            default:
                die("unknown call");
        }
        uint8_t res[20];
        put32(res, extra2);
        put32(res + 4, (uint32_t)g_hashed);
        put32(res + 8, (uint32_t)(g_hashed >> 32));
        put32(res + 12, (uint32_t)g_decoded);
        put32(res + 16, (uint32_t)(g_decoded >> 32));
        g_hashed = 0;
        g_decoded = 0;
        send_msg(K_RESULT, (uint32_t)ret, extra, res, sizeof(res));
        flush_out();
    }
}
