/* ws63emu host shim: the key ladder is a closed component; only its types are declared. */
#ifndef WS63EMU_DRV_KLAD_H
#define WS63EMU_DRV_KLAD_H
#include "crypto_km_struct.h"
#endif
