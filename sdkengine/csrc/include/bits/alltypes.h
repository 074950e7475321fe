/* ws63emu host shim: bits/alltypes.h has nothing the update library needs on a host. */
