/* ws63emu host shim: the watchdog. */
#ifndef WS63EMU_WATCHDOG_H
#define WS63EMU_WATCHDOG_H
#include "errcode.h"
errcode_t uapi_watchdog_kick(void);
void hal_reboot_chip(void);
#endif
