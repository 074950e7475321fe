// Package app is the WS63 application program's upgrade side: at start-up
// it initialises the update library (uapi_upg_init reports a finished
// upgrade's status once) and runs the NV upgrade task (NVTask: an NV image
// flashboot recorded is hash-checked and merged into the NV store, three
// attempts, one per start-up; it runs for every nv_flag status but
// NOT_STARTED and FINISHED, INVALID included, as nv_upg.c does; nv.go also
// has the app's NV writes); on request it receives a package from an
// io.Reader in chunks, stores it with uapi_upg_prepare and
// uapi_upg_write_package_sync, and calls uapi_upg_request_upgrade — the
// guide's storage example, step for step. In an AB build, ABUpgrade is the
// guide's AB example instead: upg_ab_start, upg_ab_image_write per chunk,
// upg_set_run_region, each failure printed and passed over as the example
// does.
package app
