/* ws63emu host shim: the OS allocator. */
#ifndef WS63EMU_OSAL_ADDR_H
#define WS63EMU_OSAL_ADDR_H
void *osal_kmalloc(unsigned long size, unsigned int gfp);
void osal_kfree(void *addr);
#endif
