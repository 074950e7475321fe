/* ws63emu host shim: efuse reads and writes go to the emulator's efuse bank copy. */
#ifndef WS63EMU_EFUSE_H
#define WS63EMU_EFUSE_H
#include <stdint.h>
#include "errcode.h"
errcode_t uapi_efuse_read_buffer(uint8_t *buffer, uint32_t byte_number, uint16_t length);
errcode_t uapi_efuse_write_buffer(uint32_t byte_number, const uint8_t *buffer, uint16_t length);
#endif
