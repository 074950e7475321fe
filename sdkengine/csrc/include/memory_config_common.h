/* ws63emu host shim: the flash window of the WS63 memory map. */
#ifndef WS63EMU_MEMORY_CONFIG_COMMON_H
#define WS63EMU_MEMORY_CONFIG_COMMON_H
#define FLASH_START   0x200000
#define FLASH_MAX_END 0x600000
#endif
