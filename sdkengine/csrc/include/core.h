/*
 * ws63emu host shim: debug_print.h includes core.h first; the console
 * functions the update library calls are declared here (shim.c sends their
 * text to the emulator's UART).
 */
#ifndef WS63EMU_CORE_H
#define WS63EMU_CORE_H
#include <stdint.h>
void print_str(const char *str, ...);
void serial_puts(const char *s);
void serial_putc(char c);
void boot_msg0(const char *s);
#endif
