/* ws63emu host shim: cpu_utils.h has nothing the update library needs on a host. */
