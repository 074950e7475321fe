/* ws63emu host shim: delays (no wall clock: they return at once). */
#ifndef WS63EMU_TCXO_H
#define WS63EMU_TCXO_H
#include <stdint.h>
void uapi_tcxo_delay_ms(uint32_t ms);
void uapi_tcxo_delay_us(uint32_t us);
#endif
