/* ws63emu host shim: non_os.h has nothing the update library needs on a host. */
